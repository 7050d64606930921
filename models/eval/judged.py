"""Ranking quality on judge-labelled pairs: NDCG@10 with the judge's grades as gains, Poor-Match-Rate@10.

Each scorer re-orders every query's judged candidates (ties broken by item id, so a constant
scorer gives a fixed order); the metrics read the judge's grades. NDCG averages over queries with
at least one grade above 0; Poor-Match-Rate and AUROC (grade >= 3 vs the rest, per query, NaN
queries skipped) over all queries.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from semstream.models.data.judged import JudgedPair, group_by_query
from semstream.models.eval.metrics import auroc, exp_gains, ndcg_at_k, poor_match_rate_at_k
from semstream.models.eval.rankers import Scorer

RELEVANT_GRADE = 3


def rank_pairs(pairs: Sequence[JudgedPair], scorer: Scorer) -> tuple[list[str], list[float]]:
    """(item ids best first, scores in the input order) for one query's pairs."""
    scores = [float(s) for s in scorer(pairs[0].query, [(p.item_id, p.payload) for p in pairs])]
    if len(scores) != len(pairs):
        raise ValueError(f"scorer returned {len(scores)} scores for {len(pairs)} items")
    order = sorted(range(len(pairs)), key=lambda j: (-scores[j], pairs[j].item_id))
    return [pairs[j].item_id for j in order], scores


def query_metrics(pairs: Sequence[JudgedPair], scorer: Scorer) -> dict[str, float]:
    ranked, scores = rank_pairs(pairs, scorer)
    grades = {p.item_id: p.grade for p in pairs}
    has_relevant = any(g > 0 for g in grades.values())
    return {
        "ndcg@10": ndcg_at_k(ranked, grades, 10) if has_relevant else math.nan,
        "ndcg@10_exp": ndcg_at_k(ranked, exp_gains(grades), 10) if has_relevant else math.nan,
        "poor_match_rate@10": poor_match_rate_at_k(ranked, grades, 10),
        "auroc": auroc([p.grade >= RELEVANT_GRADE for p in pairs], scores),
    }


def evaluate_rankers(pairs: Sequence[JudgedPair], rankers: Mapping[str, Scorer]) -> dict[str, Any]:
    """Per-ranker mean metrics over the queries of ``pairs``, plus the grade histogram."""
    groups = group_by_query(pairs)
    methods: dict[str, dict[str, float]] = {}
    for name, scorer in rankers.items():
        start = time.perf_counter()
        rows = [query_metrics(group, scorer) for group in groups.values()]
        seconds = time.perf_counter() - start
        methods[name] = {key: _nanmean([r[key] for r in rows]) for key in rows[0]} if rows else {}
        methods[name] |= {"seconds": seconds, "items_per_s": len(pairs) / max(seconds, 1e-9)}
    histogram = Counter(p.grade for p in pairs)
    return {
        "n_queries": len(groups),
        "n_queries_with_relevant": sum(1 for g in groups.values() if any(p.grade > 0 for p in g)),
        "n_pairs": len(pairs),
        "grades": {str(g): histogram.get(g, 0) for g in range(5)},
        "methods": methods,
    }


def _nanmean(values: Sequence[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    return float(arr.mean()) if arr.size else math.nan
