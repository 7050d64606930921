"""A two-stage ranker: MixLM over every candidate, then the text ranker over MixLM's top ``depth``.

MixLM reads only vectors, so scoring N=250 costs about one small batch; the text ranker then reads
item text for ``depth`` items only. Items outside the top ``depth`` keep their MixLM order below
every re-scored item (their scores are scaled under the lowest re-scored one), so the returned
scores order the list the way the two stages decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from semstream.models.ranker.mixlm import MixLmRanker
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker


class CascadeRanker:
    """Implements the Ranker protocol; ``first`` is the MixLM ranker built on ``second``, the text ranker."""

    def __init__(self, first: MixLmRanker, second: SlmRanker, depth: int = 16) -> None:
        if depth < 1:
            raise ValueError(f"cascade depth must be at least 1, got {depth}")
        self.first, self.second, self.depth = first, second, depth
        self.version = second.version
        self.name = second.name

    @property
    def precision(self) -> str:
        return self.first.precision

    @precision.setter
    def precision(self, value: str) -> None:
        self.first.precision = self.second.precision = value

    @property
    def variant(self) -> str:
        return self.first.tagged(f"cascade@{self.depth}")

    # quantize_ranker quantises ``scorer`` and ``base.scorer``: MixLM's body and the text ranker's
    @property
    def scorer(self) -> Any:
        return self.first.scorer

    @property
    def base(self) -> SlmRanker:
        return self.second

    @property
    def device(self) -> Any:
        return self.second.device

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        """Served scores: the text ranker's for MixLM's top ``depth``, MixLM's (scaled below them) for the rest."""
        if not items:
            return []
        coarse = np.asarray(self.first.score(query, items), dtype=np.float64)
        top = np.argsort(-coarse, kind="stable")[: self.depth]
        fine = np.asarray(self.second.score(query, [items[i] for i in top]), dtype=np.float64)
        out = below(coarse, float(fine.min()))
        out[top] = fine
        return out.tolist()


def below(scores: np.ndarray, floor: float) -> np.ndarray:
    """``scores`` scaled into [0, floor) keeping their order (non-negative scores assumed, as served)."""
    high = float(scores.max())
    if high <= 0.0:
        return np.zeros_like(scores)
    return np.clip(scores, 0.0, None) * (floor / high) * (1.0 - 1e-6)
