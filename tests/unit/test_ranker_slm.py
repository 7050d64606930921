"""SlmRanker scoring: batched == one at a time, prefix reuse == full pass, protocol, devices."""

from __future__ import annotations

import numpy as np
import pytest

from semstream.models.embedder import bundled_minilm_path
from semstream.models.ranker.backbone import YesNoScorer, answer_token_ids, load_causal_lm, load_tokenizer
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker
from semstream.schemas import EntityKind

JOBS = [
    {"title": "Backend Engineer", "company": "Acme", "location": "Berlin", "skills": ["python", "postgres"],
     "description": "Build APIs in Python. " * 12},
    {"title": "Nurse", "location": "Leeds", "description": "Ward care."},
    {"title": "Data Scientist", "remote": "remote", "skills": ["sql"], "description": "Models and dashboards. " * 4},
    {"title": "Rust developer", "company": "Oxide", "description": "Systems programming in Rust. " * 30},
    {"title": "Chef"},
]


@pytest.fixture(scope="module")
def tiny_minilm() -> SlmRanker:
    """all-MiniLM-L6-v2 run causally, pruned to 2 layers to keep the test fast."""
    path = bundled_minilm_path()
    tokenizer = load_tokenizer(path)
    scorer = YesNoScorer(load_causal_lm(path), *answer_token_ids(tokenizer))
    scorer.keep_first_layers(2)
    return SlmRanker(scorer, tokenizer, max_tokens=96, batch_size=3)


def _query() -> RankQuery:
    return RankQuery(kind=EntityKind.JOB, text="senior python backend in berlin",
                     searcher={"location": "Berlin", "skills": ["python"]}, hints=["seniority: senior"])


def _items() -> list[RankItem]:
    return [RankItem(id=str(i), payload=p) for i, p in enumerate(JOBS)]


def test_satisfies_ranker_protocol(tiny_minilm: SlmRanker) -> None:
    assert isinstance(tiny_minilm, Ranker)
    scores = tiny_minilm.score(_query(), _items())
    assert len(scores) == len(JOBS) and all(0.0 < s < 1.0 for s in scores)
    assert tiny_minilm.score(_query(), []) == []


@pytest.mark.parametrize("mode", ["full-text", "prefix-shared"])
def test_batched_equals_one_at_a_time(tiny_minilm: SlmRanker, mode: str) -> None:
    batched = tiny_minilm.raw_scores(_query(), _items(), mode=mode)[:, 0]
    single = np.array([tiny_minilm.raw_scores(_query(), [item], mode=mode)[0, 0] for item in _items()])
    assert np.abs(batched - single).max() < 1e-4
    assert np.ptp(batched) > 1e-6  # the items really score differently


def test_prefix_reuse_equals_full_pass(tiny_minilm: SlmRanker) -> None:
    full = tiny_minilm.raw_scores(_query(), _items(), mode="full-text")
    shared = tiny_minilm.raw_scores(_query(), _items(), mode="prefix-shared")
    assert np.abs(full - shared).max() < 1e-4


def test_long_items_are_cut_to_the_token_cap(tiny_minilm: SlmRanker) -> None:
    rows = tiny_minilm.encoder.full(_query(), _items())
    assert max(len(r) for r in rows) == tiny_minilm.max_tokens
    suffix = tiny_minilm.encoder.suffix_ids
    assert suffix and all(r[-len(suffix) :] == suffix for r in rows)  # every row still ends with the answer suffix


def test_full_minilm_loads_causally_from_the_bundled_wheel() -> None:
    ranker = SlmRanker.from_pretrained(bundled_minilm_path(), device="cpu", max_tokens=64)
    assert ranker.scorer.lm.config.is_decoder
    assert len(ranker.score(_query(), _items()[:2])) == 2
