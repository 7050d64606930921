"""The served score: the ranker's calibrated P(relevant) fused with the retrieval cosine.

``fused = sigmoid(logit(p) + w * (cosine - c))``: still in (0, 1), increasing in both, and exactly ``p``
at ``w = 0``. Training picks ``w`` on the calibration split (``fit_retrieval_weight``), so the bi-encoder's
knowledge of which titles name the same work is kept where the small ranker lacks it; ``c`` is that
split's mean cosine, so the fusion moves scores both ways and an average item keeps its calibrated P.
Within one query ``c`` changes no order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from semstream.models.ranker.protocol import RankItem

EPS = 1e-6


def fuse(relevance: np.ndarray, retrieval: np.ndarray, weight: float, center: float = 0.0) -> np.ndarray:
    p = np.clip(np.asarray(relevance, dtype=np.float64), EPS, 1 - EPS)
    shift = weight * (np.asarray(retrieval, dtype=np.float64) - center)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + shift)))


def fuse_items(relevance: Sequence[float], items: Sequence[RankItem], weight: float, center: float = 0.0) -> list[float]:
    """``relevance`` fused with the items' retrieval scores; unchanged when ``weight`` is 0 or any item
    lacks a retrieval score (a caller that has no retrieval step gets the ranker alone)."""
    retrieval = [item.retrieval_score for item in items]
    if not weight or any(r is None for r in retrieval):
        return list(relevance)
    return fuse(np.asarray(relevance), np.asarray(retrieval, dtype=np.float64), weight, center).tolist()


class FusedRanker:
    """What the text and MixLM rankers share as served rankers: a fusion weight and centre (set by training)
    and a precision tag (``int8`` once ``quantize_ranker`` ran) that their variant names."""

    retrieval_weight: float = 0.0
    retrieval_center: float = 0.0
    precision: str = ""

    def tagged(self, mode: str) -> str:
        return f"{mode}+{self.precision}" if self.precision else mode

    def fused(self, relevance: Sequence[float], items: Sequence[RankItem]) -> list[float]:
        return fuse_items(relevance, items, self.retrieval_weight, self.retrieval_center)
