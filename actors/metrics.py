"""Ingest metrics through Ray's metrics API (names and tags as in infra/METRICS.md)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ray.util import metrics

from semstream.actors.observer import BatchOutcome

FRESHNESS_BOUNDARIES = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]


class RayIngestMetrics:
    def __init__(self, count_documents: Callable[[], dict[str, int]] | None = None, every_s: float = 10.0) -> None:
        self.events = metrics.Counter("semstream_ingest_events_total", "Events handled by outcome.",
                                      tag_keys=("topic", "outcome"))
        self.freshness = metrics.Histogram("semstream_freshness_seconds", "Event time to searchable.",
                                           boundaries=FRESHNESS_BOUNDARIES, tag_keys=("topic",))
        self.dead = metrics.Counter("semstream_dead_letters_total", "Dead-lettered events.",
                                    tag_keys=("topic", "reason"))
        self.documents = metrics.Gauge("semstream_index_documents", "Live documents in the index.",
                                       tag_keys=("kind",))
        self._count_documents = count_documents
        self._every_s = every_s
        self._last_count = 0.0

    def observe(self, outcome: BatchOutcome) -> None:
        for (topic, kind), n in outcome.outcomes.items():
            if n > 0:  # Ray counters refuse 0 (a batch with nothing stale still has a "stale" entry)
                self.events.inc(n, tags={"topic": topic, "outcome": kind})
        for topic, seconds in outcome.freshness:
            self.freshness.observe(seconds, tags={"topic": topic})
        for topic, code in outcome.dead_letters:
            self.dead.inc(1, tags={"topic": topic, "reason": code})
        self._maybe_count()

    def _maybe_count(self) -> None:
        if self._count_documents is None or time.monotonic() - self._last_count < self._every_s:
            return
        self._last_count = time.monotonic()
        for kind, n in self._count_documents().items():
            self.documents.set(n, tags={"kind": kind})
