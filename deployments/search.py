"""The ingress logic: run understanding -> retrieval -> ranking and shape the answer; take feedback.

``SearchService`` only sees a ``Pipeline`` (three async stage calls). In Serve the pipeline
is made of deployment handles (``app.py``); in tests it calls the plain services in-process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from semstream.errors import SemstreamError

from semstream.deployments.exceptions import StageUnavailable
from semstream.deployments.logs import new_request_id, request_id_var
from semstream.deployments.metrics import MetricsSink, SearchMetrics
from semstream.deployments.understanding import facet_id
from semstream.deployments.items import result_item
from semstream.deployments.stages import (
    Ranked, RankRequest, Retrieved, RetrieveRequest, Understanding, UnderstandRequest,
)
from semstream.deployments.wire import (
    VERTICAL_KIND, AppliedFacet, CacheInfo, DepthInfo, FeedbackAck, FeedbackRequest, RankerInfo,
    SearchResponse, Timings, _SearchRequest,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
ENGAGEMENT_TOPIC = "engagement.v1"


class Pipeline(Protocol):
    async def understand(self, req: UnderstandRequest) -> Understanding: ...
    async def retrieve(self, req: RetrieveRequest) -> Retrieved: ...
    async def rank(self, req: RankRequest) -> Ranked: ...
    async def ready(self) -> dict[str, Any]: ...
    async def stats(self) -> dict[str, Any]: ...


class Sink(Protocol):
    """The producer side of ``semstream.topics.protocol.EventSink``."""

    def send(self, topic: str, key: bytes | None, value: bytes) -> None: ...


Encoder = Callable[[FeedbackRequest], tuple[bytes | None, bytes]]


class SearchService:
    def __init__(self, pipeline: Pipeline, sink: Sink | None, encode: Encoder,
                 retrieve_k: int = 1000, rank_depth: int = 250, rank_timeout_s: float = 2.0,
                 topic: str = ENGAGEMENT_TOPIC, metrics: MetricsSink | None = None) -> None:
        self.pipeline = pipeline
        self.metrics = SearchMetrics(metrics)
        self.sink = sink
        self.encode = encode
        self.retrieve_k = retrieve_k
        self.rank_depth = rank_depth
        self.rank_timeout_s = rank_timeout_s
        self.topic = topic

    async def search(self, vertical: str, body: _SearchRequest) -> SearchResponse:
        """Each stage message carries the request id (the ingress's, or a new one for handle callers)."""
        kind, rid = VERTICAL_KIND[vertical], request_id_var.get() or new_request_id()
        t0 = time.perf_counter()
        u = await _stage("understanding", self.pipeline.understand(UnderstandRequest(
            request_id=rid, kind=kind, text=body.query, explicit=body.explicit_filters(),
            disabled=body.disabled_facets)))
        t1 = time.perf_counter()
        k = body.depth or self.retrieve_k
        r = await _stage("retrieval", self.pipeline.retrieve(RetrieveRequest(
            request_id=rid, kind=kind, text=u.retrieval_text(), flt=u.flt, k=k, min_hits=body.k,
            relaxations=u.relaxations, ship=min(k, max(self.rank_depth, body.k)))))
        t2 = time.perf_counter()
        ranked = await self._rank(RankRequest(request_id=rid, kind=kind, text=u.original, searcher=_searcher(body),
                                              hints=u.hints, candidates=r.candidates, k=body.k,
                                              query_vector=r.query_vector), r)
        t3 = time.perf_counter()
        timings = Timings(understand=_ms(t1 - t0), retrieve=_ms(t2 - t1), rank=_ms(t3 - t2), total=_ms(t3 - t0))
        self.metrics.timings(vertical, timings.model_dump())
        log.info("search done", extra={"request_id": rid, "stage": "ingress", "vertical": vertical,
                                       "ms": timings.total, "items": len(ranked.items), "degraded": ranked.degraded})
        return _response(vertical, body, u, r, ranked, timings, k)

    async def feedback(self, body: FeedbackRequest) -> FeedbackAck:
        if self.sink is None:
            raise StageUnavailable("feedback: no engagement sink is configured")
        key, value = self.encode(body)
        await asyncio.to_thread(self.sink.send, self.topic, key, value)
        return FeedbackAck(topic=self.topic)

    async def ready(self) -> dict[str, Any]:
        return await self.pipeline.ready()

    async def stats(self) -> dict[str, Any]:
        return await self.pipeline.stats()

    async def _rank(self, req: RankRequest, r: Retrieved) -> Ranked:
        """The ranker's answer, or retrieval order when the ranking stage itself is unreachable."""
        try:
            return await asyncio.wait_for(self.pipeline.rank(req), self.rank_timeout_s)
        except TimeoutError:
            reason = f"ranking did not answer within {self.rank_timeout_s:.1f} s"
        except Exception as e:  # ranking must never fail a search
            reason = f"ranking unavailable: {type(e).__name__}: {e}"
        log.warning("ranking degraded at the ingress: %s", reason, extra={"request_id": req.request_id})
        self.metrics.degraded_here()
        items = req.candidates[: req.k]
        return Ranked(items=items, scores=[c.retrieval_score for c in items], variant="none", version="none",
                      degraded=True, reason=reason)


async def _stage(name: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except SemstreamError as e:
        raise StageUnavailable(f"{name} failed: {e}") from e


def _searcher(body: _SearchRequest) -> dict[str, Any]:
    return body.searcher.model_dump(exclude_none=True, exclude_defaults=True) if body.searcher else {}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _response(vertical: str, body: _SearchRequest, u: Understanding, r: Retrieved, ranked: Ranked,
              timings: Timings, k: int) -> SearchResponse:
    items = [result_item(c, rank, score) for rank, (c, score) in enumerate(zip(ranked.items, ranked.scores), 1)]
    facets = [AppliedFacet(id=facet_id(f), name=f.name, value=f.value, hard=f.hard, negated=f.negated, span=f.span)
              for f in u.facets]
    hit = not ranked.degraded and ranked.scored == 0 and ranked.reused > 0
    return SearchResponse(
        vertical=vertical, query=body.query, rewrite=u.retrieval_text(), items=items, applied_facets=facets,
        disabled_facets=body.disabled_facets, relaxed=r.relaxed, timings_ms=timings,
        ranker=RankerInfo(variant=ranked.variant, version=ranked.version, degraded=ranked.degraded,
                          reason=ranked.reason),
        depth=DepthInfo(requested=k, retrieved=r.total, ranked=ranked.depth, collapsed=r.collapsed),
        cache_hit=hit, cache=CacheInfo(hit=hit, reused=ranked.reused, scored=ranked.scored),
        models={"qu": u.model, "embedder": r.embedder, "ranker": f"{ranked.variant}@{ranked.version}"},
    )
