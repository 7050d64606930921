"""The retrieval weight of the served score, chosen on the calibration split by NDCG@10 of the judge's grades."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from semstream.models.embedder import Embedder
from semstream.models.eval.metrics import ndcg_at_k
from semstream.models.ranker.fusion import fuse
from semstream.models.ranker.slm import SlmRanker
from semstream.models.training.examples import Example, by_group
from semstream.models.training.mixlm_fit import with_vectors

GRID = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)


def retrieval_scores(examples: Sequence[Example], embedder: Embedder) -> np.ndarray:
    """Cosine of each query text with its item's ingest text, as dense retrieval scores them."""
    items = with_vectors(examples, embedder)
    texts = list(dict.fromkeys(ex.query.text for ex in examples))
    queries = dict(zip(texts, np.asarray(embedder.embed(texts), dtype=np.float32)))
    return np.array([float(np.dot(queries[ex.query.text], ex.item.vector)) for ex in items])


def mean_ndcg(examples: Sequence[Example], scores: np.ndarray, k: int = 10) -> float:
    values = []
    for idx in by_group(examples).values():
        gains = {str(i): float(examples[i].grade or 0) for i in idx}
        ranked = [str(idx[j]) for j in np.argsort(-scores[idx], kind="stable")]
        values.append(ndcg_at_k(ranked, gains, k))
    return float(np.mean(values)) if values else 0.0


def fit_retrieval_weight(ranker: SlmRanker, examples: Sequence[Example], embedder: Embedder,
                         grid: Sequence[float] = GRID) -> tuple[float, dict[str, Any]]:
    """The grid weight with the best calibration NDCG@10 (the smaller weight on a tie) and the table."""
    relevance = np.zeros(len(examples))
    for idx in by_group(examples).values():
        relevance[idx] = ranker.score(examples[idx[0]].query, [examples[i].item for i in idx])
    cosine = retrieval_scores(examples, embedder)
    table = {w: round(mean_ndcg(examples, fuse(relevance, cosine, w)), 4) for w in grid}
    best = max(grid, key=lambda w: (table[w], -w))
    return best, {"weight": best, "calib_ndcg@10": {str(w): v for w, v in table.items()},
                  "retrieval_only_ndcg@10": round(mean_ndcg(examples, cosine), 4)}
