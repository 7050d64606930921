"""Judge-labelled pairs (build, mix, split, save) and ranking evaluation on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from semstream.models.data.judged import (
    JudgedPair,
    build_judged_pairs,
    dense_candidates,
    load_pairs,
    save_pairs,
    split_by_query,
    with_random_items,
)
from semstream.models.embedder import HashEmbedder
from semstream.models.eval.judged import evaluate_rankers
from semstream.models.eval.rankers import random_scorer, vector_scorer
from semstream.models.exceptions import ModelError
from semstream.models.item_text import item_text
from semstream.models.judge.policy import PolicyJudge
from semstream.models.judge.schema import JudgeQuery
from semstream.schemas import Document, EntityKind
from semstream.store.memory import MemoryStore

JOB = EntityKind.JOB
TITLES = ["Backend Engineer", "Senior Backend Engineer", "Data Scientist", "Nurse", "Line Cook", "Frontend Developer",
          "Data Engineer", "Backend Developer", "Accountant", "Welder"]
CORPUS = [(f"j{i}", {"title": t, "location": "Berlin" if i % 2 else "London"}) for i, t in enumerate(TITLES)]
QUERIES = [JudgeQuery(text="backend engineer in Berlin", role="backend engineer", location="Berlin"),
           JudgeQuery(text="data scientist", role="data scientist"),
           JudgeQuery(text="nurse jobs in London", role="nurse", location="London"),
           JudgeQuery(text="frontend developer", role="frontend developer")]


@pytest.fixture
def store_candidates():
    embedder = HashEmbedder(64)
    store = MemoryStore()
    store.ensure_collection(JOB, embedder.dim)
    vectors = embedder.embed([item_text(JOB, p) for _, p in CORPUS])
    store.apply([Document(kind=JOB, id=i, version=1, vector=v.tolist(), payload=p)
                 for (i, p), v in zip(CORPUS, vectors, strict=True)])
    return embedder, {i: v for (i, _), v in zip(CORPUS, vectors, strict=True)}, dense_candidates(store, embedder, JOB)


def test_build_grades_each_distinct_candidate(store_candidates) -> None:
    _, _, dense = store_candidates
    pairs = build_judged_pairs(JOB, QUERIES, dense, PolicyJudge(), per_query=5)
    assert len(pairs) == 4 * 5
    first = [p for p in pairs if p.query.text == QUERIES[0].text]
    assert len({p.item_id for p in first}) == 5
    assert max(p.grade for p in first) == 4  # the Berlin backend engineer is retrieved and graded perfect
    assert {p.grade for p in pairs} >= {0, 4}


def test_random_items_are_mixed_in_reproducibly(store_candidates) -> None:
    _, _, dense = store_candidates
    mixed = with_random_items(dense, CORPUS, random_fraction=0.4, seed=9)
    got = mixed("data scientist", 5)
    assert got == mixed("data scientist", 5)
    assert len(got) == 5 and len({i for i, _ in got}) == 5
    assert [i for i, _ in got[:3]] == [i for i, _ in dense("data scientist", 3)]
    with pytest.raises(ModelError, match="random_fraction"):
        with_random_items(dense, CORPUS, 1.5, 0)


def test_split_by_query_keeps_queries_whole(store_candidates) -> None:
    _, _, dense = store_candidates
    pairs = build_judged_pairs(JOB, QUERIES, dense, PolicyJudge(), per_query=4)
    train, held = split_by_query(pairs, 0.5, seed=1)
    assert len(train) + len(held) == len(pairs)
    assert {p.query.text for p in train}.isdisjoint({p.query.text for p in held})
    assert len({p.query.text for p in held}) == 2
    assert split_by_query(pairs, 0.5, seed=1) == (train, held)


def test_pairs_round_trip_as_jsonl(tmp_path: Path, store_candidates) -> None:
    _, _, dense = store_candidates
    pairs = build_judged_pairs(JOB, QUERIES[:2], dense, PolicyJudge(), per_query=3)
    path = save_pairs(pairs, tmp_path / "sub" / "pairs.jsonl")
    assert load_pairs(path) == pairs
    path.write_text(path.read_text() + "{not json}\n")
    with pytest.raises(ModelError, match=r"pairs.jsonl:7"):
        load_pairs(path)


def test_evaluate_rankers_orders_by_score_and_reports_judge_metrics(store_candidates) -> None:
    embedder, vectors, dense = store_candidates
    pairs = build_judged_pairs(JOB, QUERIES, with_random_items(dense, CORPUS, 0.5, 2), PolicyJudge(), per_query=8)
    grade_of = {(p.query.text, p.item_id): p.grade for p in pairs}

    def oracle(query: JudgeQuery, items) -> list[float]:
        return [float(grade_of[(query.text, i)]) for i, _ in items]

    def anti(query: JudgeQuery, items) -> list[float]:
        return [-s for s in oracle(query, items)]

    report = evaluate_rankers(pairs, {"oracle": oracle, "anti": anti, "random": random_scorer(0),
                                      "dense": vector_scorer(embedder, vectors)})
    m = report["methods"]
    assert m["oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert m["oracle"]["auroc"] == pytest.approx(1.0)
    assert m["anti"]["ndcg@10"] < m["random"]["ndcg@10"] <= 1.0
    assert m["oracle"]["poor_match_rate@10"] <= m["anti"]["poor_match_rate@10"]
    assert report["n_queries"] == 4 and report["n_pairs"] == len(pairs) == 32
    assert sum(report["grades"].values()) == 32


def test_scorer_returning_wrong_length_is_an_error() -> None:
    pair = JudgedPair(kind=JOB, query=QUERIES[0], item_id="a", grade=1, p_yes=0.15)
    with pytest.raises(ValueError, match="1 items"):
        evaluate_rankers([pair], {"bad": lambda q, items: [1.0, 2.0]})
