"""Rolling freshness (event time -> searchable) and throughput figures of an ingest worker."""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from pydantic import BaseModel


class IngestStats(BaseModel):
    """What a worker reports: counters since start and freshness over its recent window."""

    consumed: int = 0
    written: int = 0
    stale: int = 0
    dead_lettered: int = 0
    batches: int = 0
    retries: int = 0
    commit_failures: int = 0
    in_flight: int = 0  # records polled whose offsets are not committed yet
    log_resets: int = 0  # partitions re-read from their start because the broker lost its log
    freshness_p50_s: float | None = None
    freshness_p99_s: float | None = None
    last_batch_at: float | None = None


class FreshnessWindow:
    """The last ``size`` freshness samples per topic."""

    def __init__(self, size: int = 5000) -> None:
        self._samples: dict[str, deque[float]] = {}
        self._size = size

    def add(self, topic: str, event_time_s: float, searchable_at_s: float | None = None) -> None:
        now = searchable_at_s if searchable_at_s is not None else time.time()
        self._samples.setdefault(topic, deque(maxlen=self._size)).append(max(0.0, now - event_time_s))

    def percentiles(self, topic: str | None = None) -> tuple[float | None, float | None]:
        values = [v for t, d in self._samples.items() if topic in (None, t) for v in d]
        if not values:
            return None, None
        p50, p99 = np.percentile(values, [50, 99])
        return float(p50), float(p99)

    def samples(self) -> list[float]:
        return [v for d in self._samples.values() for v in d]
