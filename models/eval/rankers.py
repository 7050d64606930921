"""Scorers the evaluators compare: dense cosine, BM25, random, and named rankers from the registry.

A *scorer* is ``(query: JudgeQuery, items: Sequence[(item_id, payload)]) -> list[float]``,
higher = better. ``load_named_scorers`` wraps a ``Ranker`` loaded by name through
``semstream.models.ranker.registry.load_ranker``; when the registry or the ranker is missing it
returns the reason instead of raising, so a report can say "ranker unavailable".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semstream.models.embedder import Embedder
from semstream.models.eval.bm25 import Bm25
from semstream.models.judge.schema import JudgeQuery
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.schemas import EntityKind

Item = tuple[str, dict[str, Any]]
Scorer = Callable[[JudgeQuery, Sequence[Item]], list[float]]
EVAL_MODE = "prefix-shared"  # a ranker named without a mode is evaluated as its text student
# (kind, query text) -> the ranker hints serving would send with it (query understanding's ``hints``).
QueryHints = Callable[[EntityKind, str], list[str]]


def qu_hints(shared_data_dir: Path) -> QueryHints:
    """Query understanding's hints (rules + tagger over the shared ESCO titles), as the service builds them."""
    from semstream.models.qu.service import QueryUnderstanding

    return QueryUnderstanding.shared(shared_data_dir).hints


def rank_query(kind: EntityKind, text: str, hints: QueryHints | None = None,
               vector: np.ndarray | None = None) -> RankQuery:
    return RankQuery(kind=kind, text=text, hints=hints(kind, text) if hints else [],
                     vector=None if vector is None else np.asarray(vector, dtype=np.float32).tolist())


def vector_scorer(embedder: Embedder, vectors: Mapping[str, np.ndarray]) -> Scorer:
    """Cosine between the embedded query text and each item's stored vector (0.0 when missing)."""

    def score(query: JudgeQuery, items: Sequence[Item]) -> list[float]:
        q = embedder.embed([query.text])[0]
        return [float(np.dot(q, vectors[i])) if i in vectors else 0.0 for i, _ in items]

    return score


def bm25_scorer(index: Bm25, position: Mapping[str, int]) -> Scorer:
    """BM25 over a whole corpus (for its term statistics), read out for the given items."""

    def score(query: JudgeQuery, items: Sequence[Item]) -> list[float]:
        scores = index.scores(query.text)
        return [float(scores[position[i]]) if i in position else 0.0 for i, _ in items]

    return score


def random_scorer(seed: int) -> Scorer:
    """A seeded random order per (query, item): the floor any ranker must beat."""

    def score(query: JudgeQuery, items: Sequence[Item]) -> list[float]:
        return [_unit_hash(f"{seed}|{query.text}|{i}") for i, _ in items]

    return score


def ranker_scorer(ranker: Ranker, kind: EntityKind, vectors: Mapping[str, np.ndarray] | None = None,
                  embedder: Embedder | None = None, hints: QueryHints | None = None, fused: bool = True,
                  facts: Mapping[str, np.ndarray] | None = None) -> Scorer:
    """Adapt a ``Ranker`` (RankQuery, RankItems) to a scorer; passes stored vectors (and facts vectors)
    when given, with an embedder too the query's vector and (unless ``fused=False``, the ranker alone)
    each item's retrieval cosine, and with ``hints`` the query's ranker hints: what the Ranking stage
    hands a ranker."""

    def score(query: JudgeQuery, items: Sequence[Item]) -> list[float]:
        q = embedder.embed([query.text])[0] if embedder is not None and vectors is not None else None
        rank_items = [RankItem(id=i, payload=p, vector=_as_list(vectors, i), facts_vector=_as_list(facts, i),
                               retrieval_score=_cosine(q, vectors, i) if fused else None) for i, p in items]
        return [float(s) for s in ranker.score(rank_query(kind, query.text, hints, q), rank_items)]

    return score


def _cosine(query: np.ndarray | None, vectors: Mapping[str, np.ndarray] | None, item_id: str) -> float | None:
    if query is None or vectors is None or item_id not in vectors:
        return None
    return float(np.dot(query, vectors[item_id]))


def ranker_spec(spec: str) -> tuple[str, str]:
    """``NAME`` -> (NAME, "prefix-shared"): the text student; ``NAME:MODE`` picks the scoring path
    (``mixlm``, ``full-text``), whatever the serving settings say."""
    name, _, mode = spec.partition(":")
    return name, mode or EVAL_MODE


def load_named_ranker(spec: str) -> tuple[Ranker | None, str]:
    """(ranker, "ok") or (None, why it is unavailable); float32 weights, the mode ``spec`` names."""
    name, mode = ranker_spec(spec)
    try:
        from semstream.models.ranker.registry import load_ranker
    except ImportError as e:
        return None, f"ranker unavailable: no ranker registry ({e})"
    try:
        return load_ranker(name, mode=mode, dtype="float32"), "ok"
    except Exception as e:  # noqa: BLE001 - any load failure is reported, not fatal to the evaluation
        return None, f"ranker unavailable: {type(e).__name__}: {e}"


def load_named_scorers(name: str, kind: EntityKind, vectors: Mapping[str, np.ndarray] | None = None,
                       embedder: Embedder | None = None, hints: QueryHints | None = None,
                       facts: Mapping[str, np.ndarray] | None = None) -> tuple[dict[str, Scorer], str]:
    """``{name: served score}`` (plus ``name(ranker alone)`` for a ranker that fuses the retrieval cosine)."""
    ranker, status = load_named_ranker(name)
    if ranker is None:
        return {}, status
    out = {name: ranker_scorer(ranker, kind, vectors, embedder, hints, facts=facts)}
    if embedder is not None and getattr(ranker, "fuses", False):
        out[f"{name}(ranker alone)"] = ranker_scorer(ranker, kind, vectors, embedder, hints, fused=False, facts=facts)
    return out, status


def _as_list(vectors: Mapping[str, np.ndarray] | None, item_id: str) -> list[float] | None:
    if vectors is None or item_id not in vectors:
        return None
    return np.asarray(vectors[item_id], dtype=np.float32).tolist()


def _unit_hash(text: str) -> float:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") / 2**64
