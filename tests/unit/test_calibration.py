"""Isotonic calibration: monotone, fits the data it saw, per-position buckets, JSON round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from semstream.models.ranker.calibration import CalibratorSet, IsotonicCalibrator, PositionCalibrator, pav


def test_pav_pools_violators_into_their_weighted_mean() -> None:
    values, weights, sizes = pav(np.array([0.1, 0.5, 0.3, 0.9]), np.array([1.0, 1.0, 3.0, 1.0]))
    assert np.allclose(values, [0.1, 0.35, 0.9]) and sizes.tolist() == [1, 2, 1] and weights.tolist() == [1, 4, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(0, 1)), min_size=1, max_size=80),
       st.lists(st.floats(-10, 10), min_size=2, max_size=30))
def test_calibrated_scores_are_monotone_and_in_range(points: list[tuple[float, float]], probes: list[float]) -> None:
    cal = IsotonicCalibrator.fit([p[0] for p in points], [p[1] for p in points])
    out = cal(sorted(probes))
    assert np.all(np.diff(out) >= -1e-12)
    assert np.all((out >= 0) & (out <= 1))


def test_fit_recovers_a_step_and_beats_raw_scores() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 2000)
    labels = (rng.uniform(0, 1, 2000) < np.where(scores > 0.5, 0.9, 0.2)).astype(float)
    cal = IsotonicCalibrator.fit(scores, labels)
    assert abs(cal([0.25])[0] - 0.2) < 0.06 and abs(cal([0.75])[0] - 0.9) < 0.06
    assert np.mean((cal(scores) - labels) ** 2) < np.mean((scores - labels) ** 2)


def test_position_buckets_learn_position_bias_and_sparse_buckets_fall_back() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    scores, positions = rng.uniform(0, 1, n), rng.integers(0, 2, n)
    positions[:20] = 40  # a sparse bucket
    rate = scores * np.where(positions == 0, 1.0, 0.3)
    labels = (rng.uniform(0, 1, n) < rate).astype(float)
    cal = PositionCalibrator.fit(scores, labels, positions, min_points=100)
    top, second = cal([0.9, 0.9], [0, 1])
    assert top > second + 0.3
    assert cal.bucket(40) not in cal.buckets
    assert cal([0.9], [40])[0] == cal.pooled([0.9])[0]


def test_calibrator_set_round_trips_through_json(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    s, y, p = rng.uniform(0, 1, 400), rng.integers(0, 2, 400), rng.integers(0, 3, 400)
    original = CalibratorSet({"relevance": PositionCalibrator.fit(s, y, p, min_points=50)})
    original.save(tmp_path)
    loaded = CalibratorSet.load(tmp_path)
    probe, pos = rng.uniform(0, 1, 50), rng.integers(0, 60, 50)
    assert np.array_equal(original.apply("relevance", probe, pos), loaded.apply("relevance", probe, pos))
    assert np.array_equal(loaded.apply("click", probe), probe)  # no calibrator: raw scores pass through
    assert CalibratorSet.load(tmp_path / "empty").objectives == {}
