"""The ingest pool: N consumer-group members, restarted when one dies.

A dead member's uncommitted records are redelivered to the group (at-least-once); the store's
version guard makes the replay harmless, so nothing acknowledged is lost and nothing regresses.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

import ray

from semstream.config import Settings

from semstream.actors.ray_actors import NAMESPACE, IngestActor

log = logging.getLogger(__name__)


def pool_size(settings: Settings) -> int:
    """Explicit setting, else one member per partition, capped by this machine's cores."""
    if settings.ingest_workers:
        return settings.ingest_workers
    return max(1, min(settings.topic_partitions, os.cpu_count() or 1))


Placement = Callable[[int], dict[str, Any]]


class IngestPool:
    """``placement(index)`` returns extra Ray actor options for member ``index`` (e.g. a
    ``scheduling_strategy`` or custom ``resources``); it is asked again on every restart, so a
    soft node affinity lets a member whose node was lost come back elsewhere."""

    def __init__(self, settings: Settings, size: int | None = None, placement: Placement | None = None) -> None:
        self.settings = settings
        self.placement = placement
        self.size = size or pool_size(settings)
        self.actors: dict[int, Any] = {}
        self.runs: dict[int, Any] = {}
        self.restarts = 0

    def start(self) -> None:
        for index in range(self.size):
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        threads = self.settings.torch_threads or max(1, (os.cpu_count() or 1) // self.size)
        settings = self.settings.model_copy(update={"torch_threads": threads})
        name = f"semstream-ingest-{index}-{uuid.uuid4().hex[:8]}"  # a killed member's name may linger
        extra = self.placement(index) if self.placement else {}
        actor = IngestActor.options(name=name, namespace=NAMESPACE, **extra).remote(settings, index)
        self.actors[index] = actor
        self.runs[index] = actor.run.remote()

    def check(self) -> list[int]:
        """Restart members whose run loop ended (crash or kill); returns their indexes."""
        finished, _ = ray.wait(list(self.runs.values()), num_returns=len(self.runs), timeout=0)
        restarted = []
        for index, ref in list(self.runs.items()):
            if ref in finished:
                self._report_end(index, ref)
                self._spawn(index)
                self.restarts += 1
                restarted.append(index)
        return restarted

    def _report_end(self, index: int, ref: Any) -> None:
        try:
            ray.get(ref)
            log.warning("ingest actor %d stopped; restarting", index)
        except ray.exceptions.RayError as e:
            log.warning("ingest actor %d died (%s); restarting: %s", index, type(e).__name__, e)

    def stats(self) -> list[dict[str, Any]]:
        refs = [a.stats.remote() for a in self.actors.values()]
        out = []
        for ref in refs:
            try:
                out.append(ray.get(ref, timeout=10))
            except ray.exceptions.RayError:
                out.append({})
        return out

    def stop(self, timeout_s: float = 15.0) -> None:
        for actor in self.actors.values():
            try:
                actor.stop.remote()
            except ray.exceptions.RayError:
                pass
        ray.wait(list(self.runs.values()), num_returns=len(self.runs), timeout=timeout_s)
        for actor in self.actors.values():
            ray.kill(actor)
        self.actors.clear()
        self.runs.clear()
