"""Ranking metrics over ranked id lists and graded or binary judgements.

Conventions:

* ``ndcg_at_k`` uses the gains exactly as given (pass ``grades`` for linear gains, or
  ``exp_gains(grades)`` for ``2^g - 1``) and the discount ``1 / log2(rank + 1)`` for 1-based rank.
  The ideal ordering is over every judged item, including ones the ranking never returned.
  A query with no positive gain scores 0.0.
* ``poor_match_rate_at_k``: the share of the top k with grade <= ``threshold``; unjudged items are
  left out of numerator and denominator by default (``unjudged="skip"``), or counted as poor
  (``unjudged="poor"``). With nothing to count it returns 0.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains in rank order."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked_ids: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """Normalised DCG of the top k against the ideal ordering of all judged items."""
    ideal = dcg(sorted((g for g in gains.values() if g > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg([gains.get(i, 0.0) for i in ranked_ids[:k]]) / ideal


def exp_gains(grades: Mapping[str, float]) -> dict[str, float]:
    """Exponential gains ``2^grade - 1``."""
    return {i: 2.0**g - 1.0 for i, g in grades.items()}


def recall_at_k(ranked_ids: Sequence[str], relevant: set[str] | Sequence[str], k: int) -> float:
    """Share of the relevant items found in the top k (0.0 when nothing is relevant)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    return len(rel.intersection(ranked_ids[:k])) / len(rel)


def average_precision(ranked_ids: Sequence[str], relevant: set[str] | Sequence[str]) -> float:
    """Mean of precision@rank over the relevant items' ranks; unretrieved relevant items add 0."""
    rel = set(relevant)
    if not rel:
        return 0.0
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked_ids, 1):
        if item in rel:
            hits += 1
            total += hits / rank
    return total / len(rel)


def poor_match_rate_at_k(
    ranked_ids: Sequence[str],
    grades: Mapping[str, int],
    k: int = 10,
    threshold: int = 1,
    unjudged: Literal["skip", "poor"] = "skip",
) -> float:
    """Share of the top k graded ``<= threshold`` (see the module docstring for unjudged items)."""
    top = list(ranked_ids[:k])
    if unjudged == "skip":
        top = [i for i in top if i in grades]
    if not top:
        return 0.0
    poor = sum(1 for i in top if i not in grades or grades[i] <= threshold)
    return poor / len(top)


def auroc(labels: Sequence[int | bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half); NaN without both classes."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.shape[0]} vs {s.shape[0]}")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_vals = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_vals[end + 1] == sorted_vals[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks
