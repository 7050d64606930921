"""The served score: the ranker's calibrated P(relevant) fused with what retrieval knows of each item.

``fused = sigmoid(logit(p) + w * (cosine - c) + w_f * (facts cosine - c_f))``: still in (0, 1),
increasing in each input, and exactly ``p`` at ``w = w_f = 0``. ``cosine`` is the query-item cosine
retrieval ranked by; ``facts cosine`` is the query vector against the item's facts vector (the
bi-encoder over its head and skills, ``models/facts.py``), which reads role, place and skills without
the long text drowning them. Training picks both weights on the calibration split (``fit_fusion``), so
the bi-encoder's knowledge of which titles name the same work is kept where the small ranker lacks it;
the centres are that split's mean cosines, so the fusion moves scores both ways and an average item
keeps its calibrated P. Within one query the centres change no order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from semstream.models.ranker.protocol import RankItem, RankQuery

EPS = 1e-6


@dataclass(frozen=True)
class Fusion:
    """Weights and centres of the two cosines; all zero = the ranker alone."""

    weight: float = 0.0
    center: float = 0.0
    facts_weight: float = 0.0
    facts_center: float = 0.0


def fuse(relevance: np.ndarray, retrieval: np.ndarray, weight: float, center: float = 0.0,
         facts: np.ndarray | None = None, facts_weight: float = 0.0, facts_center: float = 0.0) -> np.ndarray:
    p = np.clip(np.asarray(relevance, dtype=np.float64), EPS, 1 - EPS)
    shift = weight * (np.asarray(retrieval, dtype=np.float64) - center)
    if facts is not None and facts_weight:
        shift = shift + facts_weight * (np.asarray(facts, dtype=np.float64) - facts_center)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + shift)))


def facts_cosines(query: RankQuery | None, items: Sequence[RankItem]) -> np.ndarray | None:
    """The query vector against each item's facts vector; None unless the query and every item have one."""
    if query is None or query.vector is None or any(item.facts_vector is None for item in items):
        return None
    facts = np.asarray([item.facts_vector for item in items], dtype=np.float64)
    return facts @ np.asarray(query.vector, dtype=np.float64)


def fuse_items(relevance: Sequence[float], items: Sequence[RankItem], fusion: Fusion,
               query: RankQuery | None = None) -> list[float]:
    """``relevance`` fused with the items' retrieval scores (and, where the query and every item have
    the vectors, their facts cosines); unchanged when both weights are 0 or any item lacks a retrieval
    score (a caller that has no retrieval step gets the ranker alone)."""
    retrieval = [item.retrieval_score for item in items]
    if not (fusion.weight or fusion.facts_weight) or any(r is None for r in retrieval):
        return list(relevance)
    facts = facts_cosines(query, items) if fusion.facts_weight else None
    return fuse(np.asarray(relevance), np.asarray(retrieval, dtype=np.float64), fusion.weight, fusion.center,
                facts, fusion.facts_weight, fusion.facts_center).tolist()


FUSION_FIELDS = ("retrieval_weight", "retrieval_center", "facts_weight", "facts_center")  # as versions keep them


def saved_fusion(fields: dict[str, Any]) -> Fusion:
    """The fusion a version's file keeps (``fusion_fields``); files from before the facts cosine lack it."""
    return Fusion(*(float(fields.get(k) or 0.0) for k in FUSION_FIELDS))


class FusedRanker:
    """What the text and MixLM rankers share as served rankers: the fusion weights and centres (set by
    training) and a precision tag (``int8`` once ``quantize_ranker`` ran) that their variant names."""

    retrieval_weight: float = 0.0
    retrieval_center: float = 0.0
    facts_weight: float = 0.0
    facts_center: float = 0.0
    precision: str = ""

    def tagged(self, mode: str) -> str:
        return f"{mode}+{self.precision}" if self.precision else mode

    @property
    def fuses(self) -> bool:
        """Whether the served score differs from the ranker alone (some fusion weight is set)."""
        return bool(self.retrieval_weight or self.facts_weight)

    @property
    def fusion(self) -> Fusion:
        return Fusion(self.retrieval_weight, self.retrieval_center, self.facts_weight, self.facts_center)

    def set_fusion(self, fusion: Fusion) -> None:
        self.retrieval_weight, self.retrieval_center = fusion.weight, fusion.center
        self.facts_weight, self.facts_center = fusion.facts_weight, fusion.facts_center

    def fusion_fields(self) -> dict[str, float]:
        """The four numbers as a version's files keep them."""
        return dict(zip(FUSION_FIELDS, (self.retrieval_weight, self.retrieval_center, self.facts_weight,
                                        self.facts_center)))

    def fused(self, relevance: Sequence[float], items: Sequence[RankItem], query: RankQuery | None = None) -> list[float]:
        return fuse_items(relevance, items, self.fusion, query)
