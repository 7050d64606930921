"""Depth controller: lowers N under pressure, restores it after a calm spell, records decisions."""

from __future__ import annotations

import pytest

from semstream.deployments.depth import DepthController, DepthDecision


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _controller(clock: Clock, seen: list[DepthDecision]) -> DepthController:
    return DepthController(normal=250, reduced=130, target_inflight=4, deadline_s=0.5, patience=2,
                           cooldown_s=5.0, clock=clock, on_change=seen.append)


def test_lowers_after_sustained_pressure_only() -> None:
    clock, seen = Clock(), []
    depth = _controller(clock, seen)
    assert depth.observe(inflight=6, latency_s=0.1) == 250  # one hot reading is not enough
    assert depth.observe(inflight=1, latency_s=0.1) == 250  # streak broken
    assert depth.observe(inflight=1, latency_s=0.6) == 250  # slow ranking is pressure too
    assert depth.observe(inflight=5, latency_s=0.1) == 130
    assert [(d.old, d.new) for d in seen] == [(250, 130)]
    assert seen[0].pressure == pytest.approx(1.25)


def test_restores_after_cooldown_of_calm_and_not_before() -> None:
    clock, seen = Clock(), []
    depth = _controller(clock, seen)
    depth.observe(8, 0.1)
    depth.observe(8, 0.1)
    assert depth.depth == 130
    clock.now += 3
    assert depth.observe(1, 0.05) == 130  # calm, but only 3 s after the last busy reading
    clock.now += 1
    assert depth.observe(3, 0.1) == 130  # pressure 0.75: busy, the calm clock restarts
    clock.now += 4.9
    assert depth.observe(1, 0.05) == 130
    clock.now += 0.2
    assert depth.observe(1, 0.05) == 250
    assert [(d.old, d.new) for d in seen] == [(250, 130), (130, 250)]


def test_idle_gap_counts_as_calm() -> None:
    clock, seen = Clock(), []
    depth = _controller(clock, seen)
    depth.observe(8, 0.1)
    depth.observe(8, 0.1)
    clock.now += 60  # no traffic for a minute
    assert depth.observe(1, 0.01) == 250


def test_current_restores_after_an_idle_spell_without_a_new_reading() -> None:
    clock, seen = Clock(), []
    depth = _controller(clock, seen)
    depth.observe(8, 0.1)
    depth.observe(8, 0.1)
    clock.now += 4.0
    assert depth.current() == 130
    clock.now += 1.5
    assert depth.current() == 250
    assert seen[-1].reason.startswith("idle for 5.5s")


def test_snapshot_lists_decisions_for_metrics() -> None:
    clock, seen = Clock(), []
    depth = _controller(clock, seen)
    depth.observe(8, 0.1)
    depth.observe(8, 0.1)
    snap = depth.snapshot()
    assert snap["depth"] == 130
    assert snap["pressure"] == 2.0
    assert [(d["old"], d["new"]) for d in snap["decisions"]] == [(250, 130)]
    assert "pressure" in snap["decisions"][0]["reason"]


def test_reduced_above_normal_is_refused() -> None:
    with pytest.raises(ValueError, match="reduced depth 300"):
        DepthController(normal=250, reduced=300)
