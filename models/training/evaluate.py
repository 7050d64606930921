"""Held-out evaluation (NDCG@10 on judge grades, AUROC, calibration error) and calibrator fitting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from semstream.models.eval.metrics import auroc, exp_gains, ndcg_at_k
from semstream.models.ranker.calibration import CalibratorSet, PositionCalibrator
from semstream.models.training.examples import Example, by_group


def _gain(ex: Example) -> float:
    return float(ex.grade) if ex.grade is not None else 4.0 * ex.targets[0]


def mean_ndcg(examples: Sequence[Example], scores: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k (exponential gains of the judge's grades) over query groups with any positive gain."""
    values = []
    for idx in by_group(examples).values():
        gains = exp_gains({str(i): _gain(examples[i]) for i in idx})
        if max(gains.values()) <= 0:
            continue
        ranked = [str(idx[j]) for j in np.argsort(-np.asarray(scores)[idx], kind="stable")]
        values.append(ndcg_at_k(ranked, gains, k))
    return float(np.mean(values)) if values else float("nan")


def expected_calibration_error(probs: Sequence[float], targets: Sequence[float], bins: int = 10) -> float:
    p, t = np.asarray(probs, dtype=np.float64), np.asarray(targets, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[which == b].mean() - t[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def relevance_report(examples: Sequence[Example], scores: np.ndarray) -> dict[str, float]:
    """NDCG@10, AUROC of grade >= 3 (or P(yes) >= 0.5) and ECE against the judge's P(yes)."""
    labels = [int(ex.grade >= 3) if ex.grade is not None else int(ex.targets[0] >= 0.5) for ex in examples]
    targets = [ex.targets[0] for ex in examples]
    return {"ndcg@10": mean_ndcg(examples, scores), "auroc": auroc(labels, scores),
            "ece": expected_calibration_error(scores, targets), "pairs": len(examples),
            "queries": len(by_group(examples))}


def fit_calibrators(relevance: Sequence[Example], rel_scores: np.ndarray, engagement: Sequence[Example],
                    eng_scores: np.ndarray, actions: Sequence[str], min_points: int = 50) -> CalibratorSet:
    """Relevance: raw task-0 score -> judge P(yes); each action: raw score -> observed rate (masked rows)."""
    objectives = {}
    if relevance:
        objectives["relevance"] = PositionCalibrator.fit(
            rel_scores, [ex.targets[0] for ex in relevance], [ex.position for ex in relevance], min_points=min_points
        )
    for a, action in enumerate(actions):
        rows = [i for i, ex in enumerate(engagement) if ex.mask[a] > 0]
        if len(rows) >= 10:
            objectives[action] = PositionCalibrator.fit(
                eng_scores[rows, a], [engagement[i].targets[a] for i in rows],
                [engagement[i].position for i in rows], min_points=min_points,
            )
    return CalibratorSet(objectives)
