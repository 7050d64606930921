"""The retrieval weight of the served score, chosen on the calibration split by NDCG@10 of the judge's grades."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from semstream.models.ranker.fusion import fuse
from semstream.models.ranker.protocol import Ranker
from semstream.models.training.evaluate import mean_ndcg
from semstream.models.training.examples import Example, by_group
from semstream.models.training.vectors import retrieval_scores

GRID = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0, 24.0)
# Fusing costs calibration (the cosine shifts P(relevant)); it must buy at least this much NDCG@10 over the
# ranker alone, about one standard error of a paired NDCG difference on a ~170-query calibration split.
MIN_GAIN = 0.005


def served_scores(ranker: Ranker, examples: Sequence[Example], fused: bool = True) -> np.ndarray:
    """The ranker's served score per example, query by query; ``fused=False`` hides the items' retrieval
    scores, so the ranker alone is scored."""
    out = np.zeros(len(examples))
    for idx in by_group(examples).values():
        items = [examples[i].item if fused else examples[i].item.model_copy(update={"retrieval_score": None})
                 for i in idx]
        out[idx] = ranker.score(examples[idx[0]].query, items)
    return out


def fit_retrieval_weight(ranker: Ranker, examples: Sequence[Example], grid: Sequence[float] = GRID,
                         min_gain: float = MIN_GAIN) -> tuple[float, float, dict[str, Any]]:
    """(weight, center, table): the grid weight with the best NDCG@10 on ``examples`` (which carry
    retrieval scores, see ``with_retrieval``; the smaller weight on a tie), or 0 when it beats the
    ranker alone by less than ``min_gain``; and the examples' mean cosine."""
    relevance, cosine = served_scores(ranker, examples, fused=False), retrieval_scores(examples)
    table = {w: round(mean_ndcg(examples, fuse(relevance, cosine, w)), 4) for w in (0.0, *grid)}
    best, center = max(grid, key=lambda w: (table[w], -w)), round(float(cosine.mean()), 4)
    if table[best] - table[0.0] < min_gain:
        best = 0.0
    return best, center, {"weight": best, "center": center, "min_gain": min_gain,
                          "calib_ndcg@10": {str(w): v for w, v in table.items()},
                          "retrieval_only_ndcg@10": round(mean_ndcg(examples, cosine), 4)}
