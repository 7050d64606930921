"""Scorers the evaluators compare: dense cosine, BM25, random, and named rankers from the registry.

A *scorer* is ``(query: JudgeQuery, items: Sequence[(item_id, payload)]) -> list[float]``,
higher = better. ``load_named_scorer`` wraps a ``Ranker`` loaded by name through
``semstream.models.ranker.registry.load_ranker``; when the registry or the ranker is missing it
returns the reason instead of raising, so a report can say "ranker unavailable".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from semstream.models.embedder import Embedder
from semstream.models.eval.bm25 import Bm25
from semstream.models.judge.schema import JudgeQuery
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.schemas import EntityKind

Item = tuple[str, dict[str, Any]]
Scorer = Callable[[JudgeQuery, Sequence[Item]], list[float]]


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


def ranker_scorer(ranker: Ranker, kind: EntityKind, vectors: Mapping[str, np.ndarray] | None = None) -> Scorer:
    """Adapt a ``Ranker`` (RankQuery, RankItems) to a scorer; passes stored vectors when given."""

    def score(query: JudgeQuery, items: Sequence[Item]) -> list[float]:
        rank_query = RankQuery(kind=kind, text=query.text)
        rank_items = [RankItem(id=i, payload=p, vector=_as_list(vectors, i)) for i, p in items]
        return [float(s) for s in ranker.score(rank_query, rank_items)]

    return score


def load_named_ranker(name: str) -> tuple[Ranker | None, str]:
    """(ranker, "ok") or (None, why it is unavailable)."""
    try:
        from semstream.models.ranker.registry import load_ranker
    except ImportError as e:
        return None, f"ranker unavailable: no ranker registry ({e})"
    try:
        return load_ranker(name), "ok"
    except Exception as e:  # noqa: BLE001 - any load failure is reported, not fatal to the evaluation
        return None, f"ranker unavailable: {type(e).__name__}: {e}"


def load_named_scorer(name: str, kind: EntityKind, vectors: Mapping[str, np.ndarray] | None = None) -> tuple[Scorer | None, str]:
    ranker, status = load_named_ranker(name)
    return (ranker_scorer(ranker, kind, vectors) if ranker is not None else None), status


def _as_list(vectors: Mapping[str, np.ndarray] | None, item_id: str) -> list[float] | None:
    if vectors is None or item_id not in vectors:
        return None
    return np.asarray(vectors[item_id], dtype=np.float32).tolist()


def _unit_hash(text: str) -> float:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") / 2**64
