"""The MELO/TREC harness on a tiny folder in the MELO layout, and the CLI that drives it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from semstream.commands.eval import app
from semstream.models.embedder import HashEmbedder
from semstream.models.eval.bm25 import Bm25
from semstream.models.eval.trec import evaluate_run, load_trec_dir, run_trec
from semstream.models.exceptions import ModelError
from semstream.models.ranker.protocol import RankItem, RankQuery

DOCS = {"d1": "data scientist", "d2": "research data scientist", "d3": "registered nurse", "d4": "nurse practitioner",
        "d5": "line cook", "d6": "pastry chef", "d7": "welder", "d8": "data entry clerk"}
QUERIES = {"q1": "data scientist", "q2": "nurse", "q3": "chef"}
QRELS = [("q1", "d1"), ("q1", "d2"), ("q2", "d3"), ("q2", "d4"), ("q3", "d6"), ("q3", "d5")]


@pytest.fixture
def melo(tmp_path: Path) -> Path:
    root = tmp_path / "tiny_q_en_c_en"
    root.mkdir()
    (root / "queries.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in QUERIES.items()))
    (root / "corpus_elements.tsv").write_text("".join(f"{d}\t{t}\n" for d, t in DOCS.items()))
    # MELO uses tabs; plain TREC uses spaces: accept both
    (root / "annotations.tsv").write_text("".join(f"{q}\t0\t{d}\t1\n" if i % 2 else f"{q} 0 {d} 1\n"
                                                  for i, (q, d) in enumerate(QRELS)))
    return root


class ChefLover:
    """A ranker twin that puts anything mentioning 'cook' first (to show reranking changes the run)."""

    variant, version = "twin", "0"

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        return [1.0 if "cook" in item.payload["title"] else 0.0 for item in items]


def test_load_reads_queries_docs_and_qrels(melo: Path) -> None:
    data = load_trec_dir(melo)
    assert data.queries == QUERIES and data.doc_ids == list(DOCS) and data.doc_texts == list(DOCS.values())
    assert data.qrels == {"q1": {"d1": 1, "d2": 1}, "q2": {"d3": 1, "d4": 1}, "q3": {"d6": 1, "d5": 1}}
    (melo / "annotations.tsv").write_text("q1 d1 1\n")
    with pytest.raises(ModelError, match="annotations.tsv:1"):
        load_trec_dir(melo)


def test_evaluate_run_hand_computed() -> None:
    qrels = {"q": {"a": 1, "b": 1}}
    scores = evaluate_run({"q": ["a", "x", "b"], "unjudged": ["a"]}, qrels)
    assert scores["n_queries"] == 1
    assert scores["recall@10"] == 1.0
    assert scores["map"] == pytest.approx((1 + 2 / 3) / 2)
    assert scores["ndcg@10"] == pytest.approx((1 + 0.5) / (1 + 1 / 1.5849625007211563))


def test_bm25_prefers_rare_terms_and_short_documents() -> None:
    index = Bm25(["data scientist", "data entry clerk data", "research data scientist", "welder"])
    hits = index.search("data scientist", 10)
    assert [i for i, _ in hits][:2] == [0, 2]
    assert 3 not in [i for i, _ in hits]


def test_run_reports_every_method_caches_embeddings_and_reranks(melo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    def loader(name: str):
        return (ChefLover(), "ok") if name == "chef" else (None, f"ranker unavailable: {name}")

    report = run_trec(melo, HashEmbedder(64), cache, rankers=["chef", "missing"], rerank_depth=8, load_ranker=loader)
    assert report["n_queries"] == 3 and report["n_docs"] == 8
    assert set(report["methods"]) == {"bm25", "dense", "dense+chef"}
    assert report["methods"]["bm25"]["recall@10"] == pytest.approx(5 / 6)  # "chef" misses "line cook"
    assert report["methods"]["dense"]["recall@100"] == 1.0  # tiny corpus: everything is retrieved
    assert report["rankers"] == {"chef": "ok", "missing": "ranker unavailable: missing"}
    assert report["methods"]["dense+chef"]["ndcg@10"] != report["methods"]["dense"]["ndcg@10"]
    assert report["embedding"]["cache_hit"] is False and list(cache.glob("*.npy"))
    again = run_trec(melo, HashEmbedder(64), cache, limit_queries=2)
    assert again["embedding"]["cache_hit"] is True and again["n_queries"] == 2


def test_cli_writes_the_json_report(melo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report" / "melo.json"
    result = CliRunner().invoke(app, ["trec", str(melo), "--json", str(out), "--embedder", "hash",
                                      "--cache-dir", str(tmp_path / "c"), "--ranker", "no-such-ranker"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["dataset"] == "tiny_q_en_c_en" and {"bm25", "dense"} <= set(report["methods"])
    assert report["rankers"]["no-such-ranker"].startswith("ranker unavailable")
    assert report["plot"].endswith(".png") or report["plot"].startswith("plot skipped")
    assert "ndcg@10=" in result.output


def test_cli_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["trec", str(tmp_path / "nope"), "--json", str(tmp_path / "o.json")])
    assert result.exit_code != 0 and "not a folder" in result.output


def test_top_level_cli_routes_to_eval(tmp_path: Path) -> None:
    from semstream.cli import app as root

    result = CliRunner().invoke(root, ["eval", "trec", str(tmp_path / "nope"), "--json", str(tmp_path / "o.json")])
    assert result.exit_code != 0 and "not a folder" in result.output


class CosineEcho:
    """A ranker twin that fuses (``fuses``) and scores items by the retrieval cosine it is handed."""

    variant, version, fuses = "twin", "0", True

    def __init__(self) -> None:
        self.seen: list[float | None] = []

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        self.seen += [item.retrieval_score for item in items]
        return [item.retrieval_score if item.retrieval_score is not None else 0.0 for item in items]


def test_a_fusing_ranker_gets_the_dense_cosines_and_is_also_reported_alone(melo: Path, tmp_path: Path) -> None:
    echo = CosineEcho()
    report = run_trec(melo, HashEmbedder(64), tmp_path / "c", rankers=["echo"], rerank_depth=8,
                      load_ranker=lambda name: (echo, "ok"))
    assert {"dense+echo", "dense+echo(ranker alone)"} <= set(report["methods"])
    # scored by the cosines it was handed, the fused run is the dense run itself
    assert report["methods"]["dense+echo"]["ndcg@10"] == pytest.approx(report["methods"]["dense"]["ndcg@10"])
    handed = [s for s in echo.seen if s is not None]
    assert len(handed) == 3 * 8 and all(-1.0 <= s <= 1.0 for s in handed) and None in echo.seen


class HintRecorder(CosineEcho):
    """Records the hints each query arrives with."""

    def __init__(self) -> None:
        super().__init__()
        self.hints: list[list[str]] = []

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        self.hints.append(list(query.hints))
        return super().score(query, items)


def test_rankers_get_the_hints_query_understanding_gives_each_query(melo: Path, tmp_path: Path) -> None:
    recorder = HintRecorder()
    report = run_trec(melo, HashEmbedder(64), tmp_path / "c", rankers=["rec"], rerank_depth=8,
                      load_ranker=lambda name: (recorder, "ok"), hints=lambda kind, text: [f"role: {text.lower()}"])
    queries = [line.split("\t")[1].strip().lower() for line in (melo / "queries.tsv").read_text().splitlines()]
    assert report["ranker_hints"] is True and recorder.hints
    assert all(len(h) == 1 and h[0].removeprefix("role: ") in queries for h in recorder.hints)
