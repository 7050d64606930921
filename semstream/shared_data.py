"""Where each public dataset lies under the shared data folder (``SEMSTREAM_SHARED_DATA_DIR``; its README
gives their provenance)."""

from __future__ import annotations

from pathlib import Path

ESCO = Path("esco_v1.2")
HN_JOBS = Path("hn_whoishiring_2026") / "hn_jobs.jsonl"
INDEED_JOBS = Path("indeed_in_2023") / "indeed_jobs.jsonl"
MELO_USA = Path("melo") / "usa_q_en_c_en"
JOBBERT_VAL = Path("workrb_legacy") / "jobbert_v1_titles.val.csv"
JOBBERT_TEST = Path("workrb_legacy") / "jobbert_v1_titles.test.csv"


def esco_dir(shared_data_dir: Path | str) -> Path | None:
    """The ESCO release folder, or None where this clone has none (callers fall back to bundled subsets)."""
    folder = Path(shared_data_dir) / ESCO
    return folder if folder.is_dir() else None
