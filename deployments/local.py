"""A ``Pipeline`` that calls the plain stage services in this process (tests, no-Ray tools)."""

from __future__ import annotations

import asyncio
from typing import Any

from semstream.deployments.ranking import RankingService
from semstream.deployments.retrieval import RetrievalService
from semstream.deployments.stages import Ranked, RankRequest, Retrieved, RetrieveRequest, Understanding, \
    UnderstandRequest
from semstream.deployments.understanding import UnderstandingService


class LocalPipeline:
    def __init__(self, understanding: UnderstandingService, retrieval: RetrievalService,
                 ranking: RankingService) -> None:
        self.understanding = understanding
        self.retrieval = retrieval
        self.ranking = ranking

    async def understand(self, req: UnderstandRequest) -> Understanding:
        return await asyncio.to_thread(self.understanding.understand, req)

    async def retrieve(self, req: RetrieveRequest) -> Retrieved:
        return await asyncio.to_thread(self.retrieval.retrieve, req)

    async def rank(self, req: RankRequest) -> Ranked:
        arrived = self.ranking.enter()
        try:
            return await asyncio.to_thread(self.ranking.rank, req, arrived)
        finally:
            self.ranking.leave()

    async def ready(self) -> dict[str, Any]:
        return {
            "understanding": {"ok": True},
            "retrieval": await _probe(asyncio.to_thread(self.retrieval.ready)),
            "ranking": {"ok": True, "ranker": f"{self.ranking.ranker.variant}@{self.ranking.ranker.version}"},
        }

    async def stats(self) -> dict[str, Any]:
        return self.ranking.stats()


async def _probe(call: Any) -> dict[str, Any]:
    """{ok, detail}: a stage's readiness answer, or the error it raised."""
    try:
        return {"ok": True, "detail": await call}
    except Exception as e:  # readiness reports any failure instead of raising it
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
