"""ESCO title lookup: exact, alternative and fuzzy labels, and the real v1.2 file."""

from __future__ import annotations

from pathlib import Path

import pytest

from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.exceptions import JudgeError

ROWS = [
    {"preferredLabel": "software developer", "altLabels": "programmer\napplication developer", "iscoGroup": "2512"},
    {"preferredLabel": "data scientist", "altLabels": "research data scientist", "iscoGroup": "2511"},
    {"preferredLabel": "human resources manager", "altLabels": "HR manager\npersonnel manager", "iscoGroup": "1212"},
]


def test_lookup_exact_alt_and_seniority_stripped() -> None:
    esco = EscoIndex.from_rows(ROWS)
    assert esco.lookup("Data Scientist").preferred == "data scientist"
    assert esco.lookup("Programmer").preferred == "software developer"
    assert esco.lookup("Senior HR Manager").preferred == "human resources manager"
    assert esco.lookup("Human Resources Manager").preferred == "human resources manager"


def test_fuzzy_lookup_needs_enough_overlap() -> None:
    esco = EscoIndex.from_rows(ROWS)
    assert esco.lookup("data scientist research lead").preferred == "data scientist"
    assert esco.lookup("scaffolder") is None
    assert esco.lookup("") is None


def test_synonyms_are_all_labels_of_the_occupation() -> None:
    esco = EscoIndex.from_rows(ROWS)
    assert set(esco.synonyms("application developer")) == {"software developer", "programmer", "application developer"}
    assert esco.synonyms("pilot") == ()


def test_missing_folder_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(JudgeError, match=str(tmp_path)):
        EscoIndex.load(tmp_path)


def test_real_esco_maps_common_job_titles(shared_data: Path) -> None:
    esco = EscoIndex.load(shared_data / "esco_v1.2")
    assert len(esco.occupations) > 3000
    assert esco.lookup("Sr. Data Scientist").preferred == "data scientist"
    assert esco.lookup("sysadmin").preferred == "ICT system administrator"
    assert esco.lookup("Blockchain Developer").isco.startswith("25")
