"""Title normaliser, gazetteer and vocabulary normalisers shared with ingest."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from semstream.models.qu.evaluate import title_normalisation_accuracy
from semstream.models.qu.filters import city_key, company_key, country_code, normalise_key, normalise_skill
from semstream.models.qu.titles import TitleNormaliser, clean_title, normalise_title
from semstream.models.qu.vocab import normalise_employment_type, normalise_remote, normalise_seniority


@pytest.fixture(scope="module")
def builtin() -> TitleNormaliser:
    return TitleNormaliser.load(None)


def test_builtin_list_works_without_esco(builtin: TitleNormaliser, tmp_path: Path) -> None:
    assert TitleNormaliser.load(tmp_path).occupations == builtin.occupations  # folder without the CSV
    assert builtin.normalise("Data Scientists", k=1)[0][0] == "data scientist"
    assert builtin.best("backend engineer") == "software developer"
    assert builtin.normalise("", k=5) == [] and builtin.best("qqqq zzzz") is None


def test_scores_are_sorted_and_bounded(builtin: TitleNormaliser) -> None:
    top = builtin.normalise("senior accountant", k=5)
    scores = [s for _, s in top]
    assert len(top) == 5 and scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert len({label for label, _ in top}) == 5


def test_preferred_label_beats_same_alt_label(builtin: TitleNormaliser) -> None:
    assert builtin.normalise("accountant", k=1)[0][0] == "accountant"


def test_normalise_is_fast(builtin: TitleNormaliser) -> None:
    start = time.process_time()
    for title in ["software engineer", "registered nurse", "ML engineers", "chief executives"] * 25:
        builtin.normalise(title)
    assert (time.process_time() - start) / 100 < 0.005


def test_dense_rescoring_uses_given_vectors(builtin: TitleNormaliser) -> None:
    n = TitleNormaliser([("software developer", ["programmer"]), ("web developer", [])])
    target = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    n.set_dense(target, lambda text: np.array([1.0, 0.0], dtype=np.float32), weight=0.9)
    assert n.normalise("developer", k=2)[0][0] == "web developer"


def test_clean_title_and_ingest_helper(builtin: TitleNormaliser) -> None:
    assert clean_title("Senior Backend Engineer (m/f/d) - Berlin") == "Backend Engineer"
    assert normalise_title("Senior Backend Engineer (m/f/d) - Berlin", builtin) == "software developer"
    assert normalise_title("", builtin) is None


def test_value_normalisers_agree_with_query_keys() -> None:
    assert (city_key("NYC"), country_code("NYC")) == ("new york", "US")
    assert (city_key("Bangalore, Karnataka"), country_code("Bengaluru")) == ("bengaluru", "IN")
    assert (city_key("Remote"), country_code("Germany"), country_code("DE")) == (None, "DE", "DE")
    assert city_key("Wrocław, Poland") == "wroclaw" and city_key("Smallville, Kansas") == "smallville"
    assert company_key("  Acme   GmbH ") == "acme" and normalise_key("  Big  Co ") == "big co"
    assert normalise_skill("K8s") == "kubernetes" and normalise_skill("Node.JS") == "node.js"
    assert normalise_seniority("Sr. Software Engineer") == "senior"
    assert normalise_employment_type("Full-time, Permanent") == "full_time"
    assert normalise_remote("Remote (US)") == "remote" and normalise_remote("Hybrid / remote") == "hybrid"


@pytest.mark.slow
def test_title_accuracy_on_public_benchmarks(shared_data: Path) -> None:
    normaliser = TitleNormaliser.load(shared_data / "esco_v1.2")
    melo = title_normalisation_accuracy(shared_data / "melo" / "usa_q_en_c_en", normaliser)
    assert melo["n"] == 633 and melo["acc@1"] >= 0.50 and melo["acc@5"] >= 0.68  # measured 0.54 / 0.72
    jobbert = title_normalisation_accuracy(shared_data / "workrb_legacy" / "jobbert_v1_titles.test.csv", normaliser, limit=3000)
    assert jobbert["n"] == 3000 and jobbert["acc@5"] >= jobbert["acc@1"] > 0.1
