"""The MELO / TREC-style retrieval benchmark: BM25, dense, and dense + ranker on one qrels set.

Folder layout (MELO): ``queries.tsv`` (``qid<TAB>text``), ``corpus_elements.tsv``
(``docid<TAB>text``) and ``annotations.tsv`` (TREC qrels ``qid 0 docid rel``, tab or space
separated). Dense retrieval embeds every document once (cached as ``.npy``) and searches exactly
(cosine over normalised vectors, the same maths as ``MemoryStore``). Ranked lists are 1,000 deep;
MAP is computed over that depth. A ranker re-scores the dense top ``rerank_depth``; the rest of
the dense list follows unchanged. Each item the ranker sees is ``{"title": text}`` as a job, with its
retrieval cosine (a ranker with a retrieval weight fuses it; ``(ranker alone)`` reports it withheld);
given query understanding, each query carries the ranker hints serving would send with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from semstream.models.embedder import Embedder
from semstream.models.eval.bm25 import Bm25
from semstream.models.eval.cache import embed_cached, embedder_label, machine_info
from semstream.models.eval.metrics import average_precision, ndcg_at_k, recall_at_k
from semstream.models.eval.rankers import QueryHints, rank_query
from semstream.models.exceptions import ModelError
from semstream.models.ranker.protocol import Ranker

DEPTH = 1000
Run = dict[str, list[str]]  # qid -> ranked doc ids


@dataclass
class TrecSet:
    name: str
    queries: dict[str, str]
    doc_ids: list[str]
    doc_texts: list[str]
    qrels: dict[str, dict[str, int]]


def _read_tsv(path: Path) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8") as f:
            return [line.rstrip("\n").split("\t") for line in f if line.strip()]
    except OSError as e:
        raise ModelError(f"cannot read {path}: {e}") from e


def load_trec_dir(directory: Path | str) -> TrecSet:
    """Read a MELO-layout folder; malformed lines raise ModelError naming file and line."""
    root = Path(directory)
    queries = dict(_pairs(root / "queries.tsv"))
    docs = _pairs(root / "corpus_elements.tsv")
    qrels: dict[str, dict[str, int]] = {}
    for number, row in enumerate(_read_tsv(root / "annotations.tsv"), 1):
        parts = row[0].split() if len(row) == 1 else row
        if len(parts) != 4:
            raise ModelError(f"{root / 'annotations.tsv'}:{number}: expected 'qid 0 docid rel', got {row!r}")
        qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return TrecSet(root.name, queries, [d for d, _ in docs], [t for _, t in docs], qrels)


def _pairs(path: Path) -> list[tuple[str, str]]:
    rows = _read_tsv(path)
    bad = next((i for i, r in enumerate(rows, 1) if len(r) < 2), None)
    if bad is not None:
        raise ModelError(f"{path}:{bad}: expected 'id<TAB>text'")
    return [(r[0], "\t".join(r[1:])) for r in rows]


def evaluate_run(run: Run, qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean NDCG@10, Recall@10, Recall@100 and MAP over the run's queries that have qrels."""
    rows = []
    for qid, ranked in run.items():
        judged = qrels.get(qid)
        if not judged:
            continue
        relevant = {d for d, r in judged.items() if r > 0}
        gains = {d: float(r) for d, r in judged.items()}
        rows.append((ndcg_at_k(ranked, gains, 10), recall_at_k(ranked, relevant, 10),
                     recall_at_k(ranked, relevant, 100), average_precision(ranked, relevant)))
    if not rows:
        return {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "map": 0.0, "n_queries": 0}
    m = np.asarray(rows).mean(axis=0)
    return {"ndcg@10": float(m[0]), "recall@10": float(m[1]), "recall@100": float(m[2]), "map": float(m[3]),
            "n_queries": len(rows)}


def dense_run(doc_vectors: np.ndarray, query_vectors: np.ndarray, qids: Sequence[str], doc_ids: Sequence[str],
              depth: int = DEPTH) -> tuple[Run, dict[str, np.ndarray]]:
    """Exact cosine top ``depth`` per query; also returns each query's candidate indices."""
    run: Run = {}
    top: dict[str, np.ndarray] = {}
    for start in range(0, len(qids), 64):
        scores = query_vectors[start : start + 64] @ doc_vectors.T
        for row, qid in enumerate(qids[start : start + 64]):
            s = scores[row]
            k = min(depth, len(s))
            idx = np.argpartition(-s, k - 1)[:k]
            idx = idx[np.lexsort((idx, -s[idx]))]
            top[qid] = idx
            run[qid] = [doc_ids[i] for i in idx]
    return run, top


def bm25_run(data: TrecSet, qids: Sequence[str], depth: int = DEPTH) -> Run:
    index = Bm25(data.doc_texts)
    return {q: [data.doc_ids[i] for i, _ in index.search(data.queries[q], depth)] for q in qids}


Candidate = tuple[str, dict[str, Any], np.ndarray, float]  # doc id, payload, vector, retrieval cosine


def rerank_run(dense: Run, top: dict[str, np.ndarray], data: TrecSet, doc_vectors: np.ndarray,
               query_vectors: dict[str, np.ndarray], score: Callable[[str, np.ndarray, list[Candidate]], list[float]],
               rerank_depth: int) -> Run:
    """Re-score each query's dense top ``rerank_depth`` with ``score``; keep the tail in dense order."""
    out: Run = {}
    for qid, ranked in dense.items():
        head = top[qid][:rerank_depth]
        cosines = doc_vectors[head] @ query_vectors[qid]
        items = [(data.doc_ids[i], {"title": data.doc_texts[i]}, doc_vectors[i], float(c)) for i, c in zip(head, cosines)]
        scores = score(data.queries[qid], query_vectors[qid], items)
        order = sorted(range(len(items)), key=lambda j: (-scores[j], j))
        out[qid] = [items[j][0] for j in order] + ranked[len(head) :]
    return out


def ranker_score_fn(ranker: Ranker, with_retrieval: bool = True, hints: QueryHints | None = None
                    ) -> Callable[[str, np.ndarray, list[Candidate]], list[float]]:
    """The ranker's served score; ``with_retrieval=False`` withholds the retrieval cosine (the ranker alone);
    ``hints`` gives the query the ranker hints serving would send."""
    from semstream.models.ranker.protocol import RankItem
    from semstream.schemas import EntityKind

    def score(text: str, query_vector: np.ndarray, items: list[Candidate]) -> list[float]:
        query = rank_query(EntityKind.JOB, text, hints, query_vector)
        return list(ranker.score(query, [RankItem(id=i, payload=p, vector=v.tolist(), facts_vector=_facts_of(v),
                                                  retrieval_score=c if with_retrieval else None)
                                         for i, p, v, c in items]))

    return score


def _facts_of(vector: np.ndarray) -> list[float]:
    """A document here is its title alone, so its facts text (``item_facts``) is its text: the facts
    vector is the document vector, rounded as ingest stores it."""
    from semstream.models.facts import as_stored

    return as_stored(vector).tolist()


def run_trec(
    directory: Path | str,
    embedder: Embedder,
    cache_dir: Path | None,
    rankers: Sequence[str] = (),
    limit_queries: int | None = None,
    rerank_depth: int = 100,
    load_ranker: Callable[[str], tuple[Ranker | None, str]] | None = None,
    hints: QueryHints | None = None,
) -> dict[str, Any]:
    """Run every method on a MELO-layout folder and return the JSON-ready report; rankers see ``hints``
    (query understanding's, as served) when given."""
    data = load_trec_dir(directory)
    qids = [q for q in data.queries if q in data.qrels][: limit_queries or None]
    report: dict[str, Any] = {"dataset": data.name, "n_queries": len(qids), "n_docs": len(data.doc_ids),
                              "embedder": embedder_label(embedder), "depth": DEPTH, "rerank_depth": rerank_depth,
                              "methods": {}, "rankers": {}, "ranker_hints": hints is not None, "machine": machine_info()}
    t = time.perf_counter()
    runs: dict[str, Run] = {"bm25": bm25_run(data, qids)}
    report["methods"]["bm25"] = evaluate_run(runs["bm25"], data.qrels) | {"seconds": time.perf_counter() - t}
    doc_vectors, report["embedding"] = embed_cached(embedder, data.doc_texts, cache_dir, f"trec-{data.name}")
    t = time.perf_counter()
    query_vectors = embedder.embed([data.queries[q] for q in qids])
    dense, top = dense_run(doc_vectors, query_vectors, qids, data.doc_ids)
    report["methods"]["dense"] = evaluate_run(dense, data.qrels) | {"seconds": time.perf_counter() - t}
    for name in rankers:
        ranker, status = (load_ranker or _default_loader)(name)
        report["rankers"][name] = status
        if ranker is None:
            continue
        by_qid = dict(zip(qids, query_vectors))
        variants = {f"dense+{name}": True} | ({f"dense+{name}(ranker alone)": False}
                                             if getattr(ranker, "fuses", False) else {})
        for method, with_retrieval in variants.items():
            t = time.perf_counter()
            run = rerank_run(dense, top, data, doc_vectors, by_qid, ranker_score_fn(ranker, with_retrieval, hints), rerank_depth)
            report["methods"][method] = evaluate_run(run, data.qrels) | {"seconds": time.perf_counter() - t}
    return report


def _default_loader(name: str) -> tuple[Ranker | None, str]:
    from semstream.models.eval.rankers import load_named_ranker

    return load_named_ranker(name)

