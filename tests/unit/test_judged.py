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


def write_postings(root: Path) -> None:
    """A tiny shared-data folder in the real files' layout."""
    import json

    hn, indeed = root / "hn_whoishiring_2026", root / "indeed_in_2023"
    hn.mkdir(parents=True)
    indeed.mkdir(parents=True)
    roles = ["Backend Engineer", "Data Scientist", "Frontend Developer", "DevOps Engineer"]
    places = ["Berlin, Germany", "London, UK", "Remote (US)"]
    with (hn / "hn_jobs.jsonl").open("w") as f:
        for i in range(12):
            text = f"Co{i} | {'Senior ' if i % 2 else ''}{roles[i % 4]} | {places[i % 3]} | Full-time\n\nPython, React."
            f.write(json.dumps({"id": i, "posted_at": f"2026-03-{i + 1:02d}T00:00:00+00:00", "text": text,
                                "llm_facets": {"role": roles[i % 4], "remote": "hybrid", "technologies": ["Python"]}}) + "\n")
    with (indeed / "indeed_jobs.jsonl").open("w") as f:
        for i in range(12):
            f.write(json.dumps({"id": f"x{i}", "title": ["HR Executive", "Data Analyst", "Java Developer"][i % 3],
                                "company": f"In{i}", "location": ["Pune, Maharashtra", "Bengaluru, Karnataka"][i % 2],
                                "posted_relative": "2 days ago", "scraped_at": "2023-02-19T12:00:00.000Z",
                                "description": "Java and SQL. Job Types: Full-time"}) + "\n")


def test_judged_run_end_to_end_and_cached(tmp_path: Path) -> None:
    from semstream.models.eval.judged_run import JudgedRunConfig, run_judged

    write_postings(tmp_path / "shared")
    config = JudgedRunConfig(n_queries=8, per_query=10, shared_data_dir=tmp_path / "shared", cache_dir=tmp_path / "c",
                             rankers=["no-such-ranker"])
    report = run_judged(config, HashEmbedder(64))
    assert report["corpus_size"] == 24 and report["pairs_cached"] is False and report["esco"] is False
    assert report["n_queries"] == 8 and report["n_pairs"] == 80
    assert {"dense", "bm25", "random"} <= set(report["methods"])
    assert report["rankers"]["no-such-ranker"].startswith("ranker unavailable")
    again = run_judged(config, HashEmbedder(64))
    assert again["pairs_cached"] is True and again["embedding"]["cache_hit"] is True
    assert again["methods"]["bm25"]["ndcg@10"] == report["methods"]["bm25"]["ndcg@10"]
