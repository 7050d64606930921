"""Ingest metrics through Ray's metrics API (names and tags as in infra/METRICS.md).

``RayIngestMetrics`` turns each ``BatchOutcome`` into metric updates. Its instruments are
``ray.util.metrics`` objects built by ``ray_instruments``, the only place Ray is imported; any
objects with the same ``inc``/``set``/``observe`` methods can stand in for them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from semstream.actors.observer import BatchOutcome
from semstream.topics.protocol import TopicPartition

FRESHNESS_BOUNDARIES = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]
Tags = dict[str, str]


class CounterLike(Protocol):
    def inc(self, value: float = 1.0, tags: Tags | None = None) -> None: ...


class GaugeLike(Protocol):
    def set(self, value: float, tags: Tags | None = None) -> None: ...


class HistogramLike(Protocol):
    def observe(self, value: float, tags: Tags | None = None) -> None: ...


@dataclass(frozen=True)
class IngestInstruments:
    events: CounterLike
    freshness: HistogramLike
    dead: CounterLike
    documents: GaugeLike
    lag: GaugeLike


def ray_instruments() -> IngestInstruments:
    from ray.util import metrics

    return IngestInstruments(
        events=metrics.Counter("semstream_ingest_events_total", "Events handled by outcome.",
                               tag_keys=("topic", "outcome")),
        freshness=metrics.Histogram("semstream_freshness_seconds", "Event time to searchable.",
                                    boundaries=FRESHNESS_BOUNDARIES, tag_keys=("topic",)),
        dead=metrics.Counter("semstream_dead_letters_total", "Dead-lettered events.", tag_keys=("topic", "reason")),
        documents=metrics.Gauge("semstream_index_documents", "Live documents in the index.", tag_keys=("kind",)),
        lag=metrics.Gauge("semstream_consumer_lag", "Records between the consumer's position and the end offset.",
                          tag_keys=("topic", "partition")),
    )


class RayIngestMetrics:
    def __init__(
        self,
        count_documents: Callable[[], dict[str, int]] | None = None,
        every_s: float = 10.0,
        instruments: IngestInstruments | None = None,
    ) -> None:
        m = instruments or ray_instruments()
        self.events, self.freshness, self.dead, self.documents, self.lag = (
            m.events, m.freshness, m.dead, m.documents, m.lag)
        self._count_documents = count_documents
        self._every_s = every_s
        self._last_count = -math.inf  # the first batch counts at once, however young the host
        self._lag_partitions: set[TopicPartition] = set()

    def observe(self, outcome: BatchOutcome) -> None:
        for (topic, kind), n in outcome.outcomes.items():
            if n > 0:  # Ray counters refuse 0 (a batch with nothing stale still has a "stale" entry)
                self.events.inc(n, tags={"topic": topic, "outcome": kind})
        for topic, seconds in outcome.freshness:
            self.freshness.observe(seconds, tags={"topic": topic})
        for topic, code in outcome.dead_letters:
            self.dead.inc(1, tags={"topic": topic, "reason": code})
        if outcome.lag is not None:
            self._set_lag(outcome.lag)
        self._maybe_count()

    def _set_lag(self, lag: Mapping[TopicPartition, int]) -> None:
        """One gauge per partition reported; a partition no longer reported (revoked) drops to 0,
        since Ray gauges cannot be removed."""
        for (topic, partition), n in lag.items():
            self.lag.set(n, tags={"topic": topic, "partition": str(partition)})
        for topic, partition in self._lag_partitions - lag.keys():
            self.lag.set(0, tags={"topic": topic, "partition": str(partition)})
        self._lag_partitions = set(lag)

    def _maybe_count(self) -> None:
        if self._count_documents is None or time.monotonic() - self._last_count < self._every_s:
            return
        self._last_count = time.monotonic()
        for kind, n in self._count_documents().items():
            self.documents.set(n, tags={"kind": kind})
