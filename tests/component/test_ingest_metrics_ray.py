"""The ingest metrics on Ray's own metric objects (no cluster needed to create and record them)."""

from __future__ import annotations

from collections import Counter

import pytest

from semstream.actors.metrics import RayIngestMetrics, ray_instruments
from semstream.actors.observer import BatchOutcome


def test_ray_refuses_zero_counts_int_tag_values_and_missing_tags() -> None:
    """The contract the ingest metrics code (and tests/unit/test_ingest_metrics.py) keeps to."""
    m = ray_instruments()
    with pytest.raises(ValueError):
        m.events.inc(0, tags={"topic": "jobs.v1", "outcome": "stale"})
    with pytest.raises(TypeError):
        m.lag.set(3, tags={"topic": "jobs.v1", "partition": 0})
    with pytest.raises(ValueError, match="partition"):
        m.lag.set(3, tags={"topic": "jobs.v1"})


def test_a_batch_with_zero_counts_lag_and_a_revoked_partition_records_on_ray_metrics() -> None:
    """Any refused call (see above) would raise out of observe()."""
    metrics = RayIngestMetrics(lambda: {"job": 3, "profile": 0}, every_s=0.0, instruments=ray_instruments())
    metrics.observe(BatchOutcome(
        outcomes=Counter({("jobs.v1", "written"): 2, ("jobs.v1", "stale"): 0, ("jobs.v1", "dead_letter"): 0}),
        freshness=[("jobs.v1", 0.3)],
        dead_letters=[],
        lag={("jobs.v1", 0): 6, ("jobs.v1", 1): 0},
    ))
    metrics.observe(BatchOutcome(lag={("jobs.v1", 0): 4}))  # partition 1 revoked: set to 0
