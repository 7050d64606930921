"""The Retrieval stage: embed the query, search with the QU filters, relax them when too few match."""

from __future__ import annotations

import logging
import time

from semstream.models.embedder import Embedder
from semstream.schemas import EntityKind, Hit
from semstream.store.filters import Filter
from semstream.store.protocol import VectorStore

from semstream.deployments.logs import log_stage
from semstream.deployments.stages import Candidate, Retrieved, RetrieveRequest

log = logging.getLogger(__name__)


class RetrievalService:
    def __init__(self, store: VectorStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def retrieve(self, req: RetrieveRequest) -> Retrieved:
        """Hits for the full filter first, then hits found after each relaxation step (tiers)."""
        started = time.perf_counter()
        vector = [float(x) for x in self.embedder.embed([req.text])[0]]
        tiers = [self._search(req.kind, vector, req.k, req.flt)]
        relaxed: list[str] = []
        for step in req.relaxations:
            if len({h.id for t in tiers for h in t}) >= min(req.min_hits, req.k):
                break
            flt = step.flt
            tiers.append(self._search(req.kind, vector, req.k, flt))
            relaxed.append(step.name)
        candidates = _merge(tiers, req.k)
        shipped = [Candidate.from_hit(h, tier, keep_vector=True) for h, tier in candidates[: req.ship]]
        log_stage(log, "retrieve", req.request_id, started, found=len(candidates), relaxed=len(relaxed))
        return Retrieved(candidates=shipped, total=len(candidates), relaxed=relaxed, embedder=self.embedder.name)

    def _search(self, kind: EntityKind, vector: list[float], k: int, flt: Filter) -> list[Hit]:
        return self.store.search(kind, vector, k, None if flt.is_empty() else flt, with_vectors=True)

    def ready(self) -> dict[str, int]:
        """Live documents per kind; raises if the store cannot be reached."""
        return {kind.value: self.store.count(kind) for kind in EntityKind}


def _merge(tiers: list[list[Hit]], k: int) -> list[tuple[Hit, int]]:
    """Stricter tiers first; a hit keeps the first tier it appeared in; at most ``k``."""
    seen: set[str] = set()
    out: list[tuple[Hit, int]] = []
    for tier, hits in enumerate(tiers):
        for hit in hits:
            if hit.id not in seen:
                seen.add(hit.id)
                out.append((hit, tier))
    return out[:k]
