"""The fusion weights of the served score, chosen on the calibration split by NDCG@10 of the judge's grades."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import Any

import numpy as np

from semstream.models.ranker.fusion import Fusion, fuse
from semstream.models.ranker.protocol import Ranker
from semstream.models.training.evaluate import mean_ndcg
from semstream.models.training.examples import Example, by_group
from semstream.models.training.vectors import facts_scores, retrieval_scores

GRID = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0, 24.0)
# Fusing costs calibration (the cosines shift P(relevant)); it must buy at least this much NDCG@10 over the
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


def fit_fusion(ranker: Ranker, examples: Sequence[Example], grid: Sequence[float] = GRID,
               facts_grid: Sequence[float] = GRID, min_gain: float = MIN_GAIN) -> tuple[Fusion, dict[str, Any]]:
    """(fusion, table): the (retrieval weight, facts weight) pair of the grids with the best NDCG@10 on
    ``examples`` (which carry retrieval scores and facts vectors, see ``with_retrieval``; the smaller
    total weight on a tie), or none when it beats the ranker alone by less than ``min_gain``; the
    centres are the examples' mean cosines. An empty ``facts_grid`` fuses the retrieval cosine only."""
    relevance, cosine = served_scores(ranker, examples, fused=False), retrieval_scores(examples)
    facts = facts_scores(examples) if facts_grid else np.zeros(len(examples))
    pairs = list(dict.fromkeys([(0.0, 0.0), *product(grid, facts_grid or (0.0,))]))
    table = {pair: round(mean_ndcg(examples, fuse(relevance, cosine, pair[0], 0.0, facts, pair[1])), 4) for pair in pairs}
    best = max(pairs, key=lambda pair: (table[pair], -sum(pair)))
    if table[best] - table[(0.0, 0.0)] < min_gain:
        best = (0.0, 0.0)
    fusion = Fusion(best[0], round(float(cosine.mean()), 4), best[1], round(float(facts.mean()), 4))
    return fusion, {"weight": fusion.weight, "center": fusion.center, "facts_weight": fusion.facts_weight,
                    "facts_center": fusion.facts_center, "min_gain": min_gain,
                    "calib_ndcg@10": {f"{w:g},{f:g}": v for (w, f), v in table.items()},
                    "retrieval_only_ndcg@10": round(mean_ndcg(examples, cosine), 4),
                    "facts_only_ndcg@10": round(mean_ndcg(examples, facts), 4)}
