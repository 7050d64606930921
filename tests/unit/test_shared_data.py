from pathlib import Path

import pytest

from semstream.shared_data import ESCO, HN_JOBS, INDEED_JOBS, MELO_USA, esco_dir

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_esco_dir_is_none_without_the_release_folder(tmp_path):
    assert esco_dir(tmp_path) is None
    (tmp_path / ESCO).mkdir()
    assert esco_dir(tmp_path) == tmp_path / ESCO


def test_named_datasets_exist_in_the_shared_folder():
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    for path in (ESCO, HN_JOBS, INDEED_JOBS, MELO_USA / "queries.tsv"):
        assert (SHARED / path).exists(), path
