"""What the metric recorders send to their instruments: zero counts left out (Ray counters refuse
them), the consumer-lag gauge per partition, the throttled document count. Instruments here keep
Ray's contract (counter values > 0, string tag values); tests/component/test_ingest_metrics_ray.py
checks that contract against Ray's own objects."""

from __future__ import annotations

from collections import Counter

import pytest

from semstream.actors.metrics import IngestInstruments, RayIngestMetrics
from semstream.actors.observer import BatchOutcome
from semstream.deployments.metrics import RANK_DEGRADED, RANK_ITEMS, RankingMetrics, RecordingMetrics
from semstream.deployments.stages import Ranked

Tags = dict[str, str]


class Instrument:
    """Counter, gauge and histogram in one, refusing what Ray refuses."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, Tags]] = []

    def _record(self, op: str, value: float, tags: Tags | None) -> None:
        if tags is not None and not all(isinstance(v, str) for v in tags.values()):
            raise TypeError(f"Tag values must be str, got {tags}")
        self.calls.append((op, value, dict(tags or {})))

    def inc(self, value: float = 1.0, tags: Tags | None = None) -> None:
        if value <= 0:
            raise ValueError(f"value must be >0, got {value}")
        self._record("inc", value, tags)

    def set(self, value: float, tags: Tags | None = None) -> None:
        self._record("set", value, tags)

    def observe(self, value: float, tags: Tags | None = None) -> None:
        self._record("observe", value, tags)


def _metrics(count_documents=None, every_s: float = 10.0) -> tuple[RayIngestMetrics, IngestInstruments]:
    m = IngestInstruments(Instrument(), Instrument(), Instrument(), Instrument(), Instrument())
    return RayIngestMetrics(count_documents, every_s, instruments=m), m


def test_zero_outcome_counts_are_left_out_and_the_rest_counted() -> None:
    metrics, m = _metrics()
    outcome = BatchOutcome(outcomes=Counter({("jobs.v1", "written"): 3, ("jobs.v1", "stale"): 0,
                                             ("profiles.v1", "stale"): 2, ("profiles.v1", "written"): 0}))
    metrics.observe(outcome)  # an inc(0) would raise here, as Ray's does
    assert sorted(m.events.calls) == [("inc", 2, {"topic": "profiles.v1", "outcome": "stale"}),
                                      ("inc", 3, {"topic": "jobs.v1", "outcome": "written"})]


def test_dead_letters_and_freshness_are_recorded_per_topic() -> None:
    metrics, m = _metrics()
    metrics.observe(BatchOutcome(freshness=[("jobs.v1", 0.4)], dead_letters=[("jobs.v1", "decode")]))
    assert m.freshness.calls == [("observe", 0.4, {"topic": "jobs.v1"})]
    assert m.dead.calls == [("inc", 1, {"topic": "jobs.v1", "reason": "decode"})]


def test_lag_gauge_per_partition_and_zero_for_a_partition_no_longer_reported() -> None:
    metrics, m = _metrics()
    metrics.observe(BatchOutcome(lag={("jobs.v1", 0): 6, ("jobs.v1", 1): 2}))
    assert m.lag.calls == [("set", 6, {"topic": "jobs.v1", "partition": "0"}),
                           ("set", 2, {"topic": "jobs.v1", "partition": "1"})]
    m.lag.calls.clear()
    metrics.observe(BatchOutcome(lag={("jobs.v1", 0): 1}))
    assert m.lag.calls == [("set", 1, {"topic": "jobs.v1", "partition": "0"}),
                           ("set", 0, {"topic": "jobs.v1", "partition": "1"})]
    m.lag.calls.clear()
    metrics.observe(BatchOutcome(lag={("jobs.v1", 0): 1}))
    assert m.lag.calls == [("set", 1, {"topic": "jobs.v1", "partition": "0"})]  # the revoked one is not zeroed again


def test_an_outcome_without_a_lag_measurement_leaves_the_gauge_alone() -> None:
    metrics, m = _metrics()
    metrics.observe(BatchOutcome(lag={("jobs.v1", 0): 5}))
    metrics.observe(BatchOutcome(outcomes=Counter({("jobs.v1", "written"): 1})))
    assert m.lag.calls == [("set", 5, {"topic": "jobs.v1", "partition": "0"})]
    metrics.observe(BatchOutcome(lag={}))  # member owns nothing any more
    assert m.lag.calls[-1] == ("set", 0, {"topic": "jobs.v1", "partition": "0"})


def test_documents_are_counted_at_most_every_interval() -> None:
    counts: list[int] = []

    def count() -> dict[str, int]:
        counts.append(1)
        return {"job": 7, "profile": 0}

    metrics, m = _metrics(count, every_s=3600)
    for _ in range(3):
        metrics.observe(BatchOutcome())
    assert len(counts) == 1
    assert m.documents.calls == [("set", 7, {"kind": "job"}), ("set", 0, {"kind": "profile"})]


def _ranked(scored: int, reused: int, degraded: bool = False) -> Ranked:
    return Ranked(items=[], scores=[], variant="v", version="1", scored=scored, reused=reused, degraded=degraded)


@pytest.mark.parametrize(("scored", "reused", "degraded", "ranker", "cache", "degraded_count"), [
    (5, 0, False, 5, None, 0),
    (0, 4, False, None, 4, 0),
    (3, 2, False, 3, 2, 0),
    (5, 0, True, None, None, 1),
])
def test_ranking_records_no_zero_item_counts(scored, reused, degraded, ranker, cache, degraded_count) -> None:
    rec = RecordingMetrics()
    RankingMetrics(rec).ranked(_ranked(scored, reused, degraded))
    series = {dict(tags)["source"]: n for (name, tags), n in rec.counters.items() if name == RANK_ITEMS}
    assert series.get("ranker") == ranker and series.get("cache") == cache
    assert 0 not in series.values()
    assert rec.count(RANK_DEGRADED) == degraded_count
