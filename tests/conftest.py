"""Shared fixtures. Tiers: unit (no Ray, no broker), component, integration (real embedded parts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from semstream.config import load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture
def shared_data() -> Path:
    """The public data folder beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public data folder not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings(data_dir=tmp_path / "data", shared_data_dir=SHARED_DATA)
