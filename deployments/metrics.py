"""Serving metrics: the table of what is exported, and the plain recorders the stage services call.

The services never import Ray: they record through a ``MetricsSink``. In Serve the sink is
``ray_metrics.RayMetricsSink`` (``ray.serve.metrics`` objects, exported as ``ray_<name>``); in
tests it is ``RecordingMetrics``. ``SERVING_METRICS`` is the single list of names, types, tags
and bucket boundaries; it matches ``infra/METRICS.md``. Requests and errors by route and status
come from Serve's own ``serve_num_http_requests`` (tags ``route``, ``method``, ``status_code``).
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, Protocol

from semstream.deployments.depth import DepthDecision
from semstream.deployments.stages import Ranked

Kind = Literal["counter", "gauge", "histogram"]
Tags = dict[str, str]

STAGE_LATENCY = "semstream_stage_latency_ms"
RANKER_BATCH = "semstream_ranker_batch_size"
CACHE_HITS = "semstream_cache_hits_total"
CACHE_REQUESTS = "semstream_cache_requests_total"
RANK_DEPTH = "semstream_rank_depth"
RANK_PRESSURE = "semstream_rank_pressure"
RANK_DEPTH_CHANGES = "semstream_rank_depth_changes"
RANK_ITEMS = "semstream_rank_items"
RANK_DEGRADED = "semstream_rank_degraded"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: Kind
    description: str
    tags: tuple[str, ...] = ()
    boundaries: tuple[float, ...] = ()


SERVING_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(STAGE_LATENCY, "histogram", "Milliseconds per serving stage (understand, retrieve, rank, total).",
               ("stage", "vertical"), (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)),
    MetricSpec(RANKER_BATCH, "histogram", "Requests ranked together in one batched call.",
               (), (1, 2, 4, 8, 16, 32, 64, 128, 256)),
    MetricSpec(CACHE_HITS, "counter", "(searcher, query) score-cache lookups that covered every ranked item."),
    MetricSpec(CACHE_REQUESTS, "counter", "All (searcher, query) score-cache lookups."),
    MetricSpec(RANK_DEPTH, "gauge", "Candidates the ranker scores per query (N)."),
    MetricSpec(RANK_PRESSURE, "gauge", "Depth controller pressure at its last decision."),
    MetricSpec(RANK_DEPTH_CHANGES, "counter", "Depth controller decisions.", ("direction",)),
    MetricSpec(RANK_ITEMS, "counter", "Ranked items by source (ranker or cache).", ("source",)),
    MetricSpec(RANK_DEGRADED, "counter", "Answers left in retrieval order (ranking missed its deadline or failed)."),
)
SPECS = {s.name: s for s in SERVING_METRICS}


class MetricsSink(Protocol):
    def inc(self, name: str, value: float = 1.0, tags: Tags | None = None) -> None: ...
    def set(self, name: str, value: float, tags: Tags | None = None) -> None: ...
    def observe(self, name: str, value: float, tags: Tags | None = None) -> None: ...


class NullMetrics:
    """Records nothing (plain use without a metrics backend)."""

    def inc(self, name: str, value: float = 1.0, tags: Tags | None = None) -> None:
        pass

    def set(self, name: str, value: float, tags: Tags | None = None) -> None:
        pass

    def observe(self, name: str, value: float, tags: Tags | None = None) -> None:
        pass


def _series(name: str, tags: Tags | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Checks the name and tag keys against ``SPECS`` as Ray does (unknown name or tag = error)."""
    spec = SPECS.get(name)
    if spec is None:
        raise KeyError(f"unknown metric {name!r}; add it to SERVING_METRICS")
    if set(tags or {}) != set(spec.tags):
        raise ValueError(f"metric {name} takes tags {spec.tags}, got {sorted(tags or {})}")
    return name, tuple(sorted((tags or {}).items()))


class RecordingMetrics:
    """In-memory sink: counter totals, last gauge values, histogram samples, per (name, tags)."""

    def __init__(self) -> None:
        self.counters: Tally[tuple] = Tally()
        self.gauges: dict[tuple, float] = {}
        self.samples: defaultdict[tuple, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def inc(self, name: str, value: float = 1.0, tags: Tags | None = None) -> None:
        with self._lock:
            self.counters[_series(name, tags)] += value

    def set(self, name: str, value: float, tags: Tags | None = None) -> None:
        with self._lock:
            self.gauges[_series(name, tags)] = value

    def observe(self, name: str, value: float, tags: Tags | None = None) -> None:
        with self._lock:
            self.samples[_series(name, tags)].append(value)

    def count(self, name: str, **tags: str) -> float:
        return self.counters[_series(name, tags)]

    def gauge(self, name: str, **tags: str) -> float | None:
        return self.gauges.get(_series(name, tags))

    def observed(self, name: str, **tags: str) -> list[float]:
        return list(self.samples[_series(name, tags)])


class RankingMetrics:
    """What the Ranking stage records: depth, depth decisions, cache reuse, batch sizes, degraded answers."""

    def __init__(self, sink: MetricsSink | None = None) -> None:
        self.sink: MetricsSink = sink or NullMetrics()

    def depth(self, n: int) -> None:
        self.sink.set(RANK_DEPTH, n)

    def depth_changed(self, d: DepthDecision) -> None:
        self.sink.set(RANK_DEPTH, d.new)
        self.sink.set(RANK_PRESSURE, d.pressure)
        self.sink.inc(RANK_DEPTH_CHANGES, tags={"direction": "down" if d.new < d.old else "up"})

    def batch(self, size: int) -> None:
        self.sink.observe(RANKER_BATCH, size)

    def cache_lookup(self, hit: bool) -> None:
        self.sink.inc(CACHE_REQUESTS)
        if hit:
            self.sink.inc(CACHE_HITS)

    def ranked(self, r: Ranked) -> None:
        if r.reused:
            self.sink.inc(RANK_ITEMS, r.reused, tags={"source": "cache"})
        if r.scored and not r.degraded:
            self.sink.inc(RANK_ITEMS, r.scored, tags={"source": "ranker"})
        if r.degraded:
            self.sink.inc(RANK_DEGRADED)


class SearchMetrics:
    """What the ingress records: stage latencies, and answers it degraded itself (ranking unreachable)."""

    def __init__(self, sink: MetricsSink | None = None) -> None:
        self.sink: MetricsSink = sink or NullMetrics()

    def timings(self, vertical: str, ms: dict[str, float]) -> None:
        for stage, value in ms.items():
            self.sink.observe(STAGE_LATENCY, value, tags={"stage": stage, "vertical": vertical})

    def degraded_here(self) -> None:
        """Counted in the same series as the ranker's own degradations (one count per answer)."""
        self.sink.inc(RANK_DEGRADED)
