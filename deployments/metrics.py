"""Ray metrics of the Ranking deployment: depth, depth decisions, cache reuse, degraded answers.

Exported through Ray's Prometheus endpoint (``ray_semstream_*``); the same figures are in
``GET /v1/stats``.
"""

from __future__ import annotations

from ray.serve.metrics import Counter, Gauge

from semstream.deployments.depth import DepthDecision
from semstream.deployments.stages import Ranked


class RankingMetrics:
    def __init__(self) -> None:
        self._depth = Gauge("semstream_rank_depth", description="Candidates the ranker scores per query (N).")
        self._pressure = Gauge("semstream_rank_pressure", description="Depth controller pressure at the last change.")
        self._changes = Counter("semstream_rank_depth_changes", description="Depth controller decisions.",
                                tag_keys=("direction",))
        self._items = Counter("semstream_rank_items", description="Ranked items by source.", tag_keys=("source",))
        self._degraded = Counter("semstream_rank_degraded", description="Answers left in retrieval order.")

    def depth(self, n: int) -> None:
        self._depth.set(n)

    def depth_changed(self, d: DepthDecision) -> None:
        self._depth.set(d.new)
        self._pressure.set(d.pressure)
        self._changes.inc(tags={"direction": "down" if d.new < d.old else "up"})

    def ranked(self, r: Ranked) -> None:
        if r.reused:
            self._items.inc(r.reused, tags={"source": "cache"})
        if r.scored and not r.degraded:
            self._items.inc(r.scored, tags={"source": "ranker"})
        if r.degraded:
            self._degraded.inc()
