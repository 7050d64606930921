"""Isotonic calibration of raw ranker scores, per objective and per result position.

Pool-adjacent-violators is implemented here with numpy (a few lines; no new dependency). The
fitted map interpolates linearly between block means and clips outside the fitted range, so it
is monotone non-decreasing everywhere. Positions are bucketed (0, 1, 2, 3-4, 5-9, ...); a bucket
with too few points falls back to the map fitted on all positions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from semstream.models.exceptions import ModelLoadError

DEFAULT_EDGES = (0, 1, 2, 3, 5, 10, 20, 50)


def pav(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool adjacent violators on y (already ordered by x): block values, weights and sizes."""
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist()):
        values.append(yi), weights.append(wi), sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            wsum = weights[-2] + weights[-1]
            merged = (values[-2] * weights[-2] + values[-1] * weights[-1]) / wsum
            size = sizes[-2] + sizes[-1]
            del values[-1], weights[-1], sizes[-1]
            values[-1], weights[-1], sizes[-1] = merged, wsum, size
    return np.array(values), np.array(weights), np.array(sizes)


class IsotonicCalibrator:
    """A monotone map from raw score to probability, fitted on (score, target in [0, 1])."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        self.xs = np.asarray(xs, dtype=np.float64)
        self.ys = np.asarray(ys, dtype=np.float64)
        if self.xs.size == 0 or self.xs.shape != self.ys.shape:
            raise ValueError("an isotonic calibrator needs matching, non-empty breakpoints")

    @classmethod
    def fit(cls, scores: Sequence[float], targets: Sequence[float], weights: Sequence[float] | None = None) -> IsotonicCalibrator:
        x = np.asarray(scores, dtype=np.float64)
        y = np.clip(np.asarray(targets, dtype=np.float64), 0.0, 1.0)
        w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
        if x.size == 0:
            raise ValueError("cannot fit a calibrator on no points")
        # Ties in x become one point first, so block means of x are strictly increasing.
        ux, inverse = np.unique(x, return_inverse=True)
        uw = np.bincount(inverse, weights=w)
        uy = np.bincount(inverse, weights=w * y) / uw
        values, _, sizes = pav(uy, uw)
        ends = np.cumsum(sizes)
        starts = ends - sizes
        centers = [float(np.average(ux[s:e], weights=uw[s:e])) for s, e in zip(starts, ends)]
        return cls(centers, values)

    def __call__(self, scores: Sequence[float] | np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(scores, dtype=np.float64), self.xs, self.ys)

    def to_dict(self) -> dict[str, list[float]]:
        return {"xs": self.xs.tolist(), "ys": self.ys.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> IsotonicCalibrator:
        return cls(data["xs"], data["ys"])


class PositionCalibrator:
    """One isotonic map per position bucket, plus a pooled map for sparse buckets."""

    def __init__(self, pooled: IsotonicCalibrator, buckets: dict[int, IsotonicCalibrator], edges: Sequence[int] = DEFAULT_EDGES) -> None:
        self.pooled = pooled
        self.buckets = buckets
        self.edges = tuple(int(e) for e in edges)

    def bucket(self, position: int) -> int:
        return int(np.searchsorted(self.edges, position, side="right") - 1)

    @classmethod
    def fit(
        cls,
        scores: Sequence[float],
        targets: Sequence[float],
        positions: Sequence[int],
        edges: Sequence[int] = DEFAULT_EDGES,
        min_points: int = 50,
    ) -> PositionCalibrator:
        pooled = IsotonicCalibrator.fit(scores, targets)
        probe = cls(pooled, {}, edges)
        s, t = np.asarray(scores, dtype=np.float64), np.asarray(targets, dtype=np.float64)
        ids = np.array([probe.bucket(int(p)) for p in positions])
        buckets = {}
        for b in np.unique(ids).tolist():
            chosen = ids == b
            if chosen.sum() >= min_points:
                buckets[int(b)] = IsotonicCalibrator.fit(s[chosen], t[chosen])
        return cls(pooled, buckets, edges)

    def __call__(self, scores: Sequence[float], positions: Sequence[int] | None = None) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        if positions is None:
            return self.pooled(scores)
        out = np.empty_like(scores)
        for i, (score, position) in enumerate(zip(scores, positions)):
            out[i] = self.buckets.get(self.bucket(int(position)), self.pooled)([score])[0]
        return out

    def to_dict(self) -> dict:
        return {
            "edges": list(self.edges),
            "pooled": self.pooled.to_dict(),
            "buckets": {str(b): c.to_dict() for b, c in self.buckets.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> PositionCalibrator:
        buckets = {int(b): IsotonicCalibrator.from_dict(c) for b, c in data["buckets"].items()}
        return cls(IsotonicCalibrator.from_dict(data["pooled"]), buckets, data["edges"])


class CalibratorSet:
    """Calibrators by objective name (``relevance``, ``click``, ``apply``, ...); JSON on disk."""

    FILE = "calibration.json"

    def __init__(self, objectives: dict[str, PositionCalibrator] | None = None) -> None:
        self.objectives = dict(objectives or {})

    def __contains__(self, objective: str) -> bool:
        return objective in self.objectives

    def apply(self, objective: str, scores: Sequence[float], positions: Sequence[int] | None = None) -> np.ndarray:
        if objective not in self.objectives:
            return np.asarray(scores, dtype=np.float64)
        return self.objectives[objective](scores, positions)

    def save(self, directory: Path) -> Path:
        path = Path(directory) / self.FILE
        data = {"format": 1, "objectives": {k: v.to_dict() for k, v in self.objectives.items()}}
        path.write_text(json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, directory: Path) -> CalibratorSet:
        path = Path(directory) / cls.FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text())
            return cls({k: PositionCalibrator.from_dict(v) for k, v in data["objectives"].items()})
        except (ValueError, KeyError, TypeError) as e:
            raise ModelLoadError(f"unreadable calibration file {path}: {e}") from e
