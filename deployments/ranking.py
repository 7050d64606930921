"""The Ranking stage: cached scores first, the SLM for the rest of the top N, within a deadline.

If the ranker misses the deadline (or fails) the request is answered in retrieval order and
flagged ``degraded``; it never fails for that. Scores that arrive late still fill the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from semstream.models.facts import facts_vector_of
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery

from semstream.deployments.cache import CacheKey, ScoreCache, cache_key
from semstream.deployments.depth import DepthController
from semstream.deployments.logs import log_stage
from semstream.deployments.metrics import RankingMetrics
from semstream.deployments.stages import Candidate, Ranked, RankRequest, float32_list

log = logging.getLogger(__name__)


class _TooLate(Exception):
    """A queued scoring job whose request is already past its deadline."""


class RankingService:
    def __init__(self, ranker: Ranker, deadline_s: float, cache: ScoreCache, depth: DepthController,
                 clock: Callable[[], float] = time.monotonic, metrics: RankingMetrics | None = None,
                 worker_setup: Callable[[], None] | None = None) -> None:
        """``worker_setup`` runs once in the scoring thread before its first job (e.g. its torch threads)."""
        self.ranker = ranker
        self.metrics = metrics or RankingMetrics()
        self.deadline_s = deadline_s
        self.cache = cache
        self.depth = depth
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranker", initializer=worker_setup)
        self._inflight = 0
        self._lock = threading.Lock()

    # --- load accounting (the Serve wrapper calls these around each request) -------------
    def enter(self) -> float:
        """A request arrived; returns its arrival time (the deadline counts from here)."""
        with self._lock:
            self._inflight += 1
        return self._clock()

    def leave(self) -> None:
        with self._lock:
            self._inflight -= 1

    # --- ranking -------------------------------------------------------------------------
    def rank_batch(self, requests: Sequence[tuple[RankRequest, float]]) -> list[Ranked]:
        """Rank each (request, arrival time); one answer per request, in order."""
        self.metrics.batch(len(requests))
        return [self.rank(req, arrived) for req, arrived in requests]

    def rank(self, req: RankRequest, arrived: float | None = None) -> Ranked:
        started = time.perf_counter()
        arrived = self._clock() if arrived is None else arrived
        ranked = self._rank(req, arrived)
        self.metrics.ranked(ranked)
        log_stage(log, "rank", req.request_id, started, depth=ranked.depth, reused=ranked.reused,
                  scored=ranked.scored, degraded=ranked.degraded)
        return ranked

    def _rank(self, req: RankRequest, arrived: float) -> Ranked:
        n = min(self.depth.current(), len(req.candidates))
        top = req.candidates[:n]
        key = cache_key(req.kind, searcher_key(req.searcher), " ".join([req.text, *sorted(req.hints)]), req.query_vector)
        cached = self.cache.lookup(key, [(c.id, c.version) for c in top])
        todo = [c for c in top if c.id not in cached]
        if top:
            self.metrics.cache_lookup(hit=not todo)
        scores, reason = self._score(req, todo, key, arrived + self.deadline_s)
        self.depth.observe(self._inflight, self._clock() - arrived)
        if scores is None:
            return self._in_retrieval_order(req, n, reason)
        merged = {**cached, **scores}
        order = sorted(range(n), key=lambda i: (top[i].tier, -merged[top[i].id], i))
        items = [top[i] for i in order][: req.k]
        rest = req.candidates[n : n + max(0, req.k - len(items))]
        return Ranked(items=items + rest, scores=[merged[c.id] for c in items] + [c.retrieval_score for c in rest],
                      variant=self.ranker.variant, version=self.ranker.version, depth=n,
                      reused=len(cached), scored=len(todo))

    def invalidate(self, kind: Any, ids: Sequence[str]) -> int:
        return self.cache.invalidate(kind, ids)

    def stats(self) -> dict[str, Any]:
        return {"depth": self.depth.snapshot(), "cache": asdict(self.cache.stats()), "inflight": self._inflight,
                "ranker": {"variant": self.ranker.variant, "version": self.ranker.version}}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- internals -----------------------------------------------------------------------
    def _score(self, req: RankRequest, todo: list[Candidate], key: CacheKey,
               deadline: float) -> tuple[dict[str, float] | None, str | None]:
        """Scores for ``todo`` or (None, why not) when the ranker missed the deadline or failed."""
        if not todo:
            return {}, None
        query = RankQuery(kind=req.kind, text=req.text, searcher=req.searcher, hints=req.hints,
                          vector=float32_list(req.query_vector))
        future = self._pool.submit(self._run, query, todo, deadline)
        try:
            values = future.result(timeout=max(0.0, deadline - self._clock()))
        except TimeoutError:
            future.cancel()
            future.add_done_callback(lambda f: self._store_late(key, todo, f))
            return None, f"ranker missed its {self.deadline_s * 1000:.0f} ms deadline"
        except _TooLate:
            return None, f"ranker queue exceeded the {self.deadline_s * 1000:.0f} ms deadline"
        except Exception as e:  # any ranker failure degrades the answer, never fails it
            return None, f"ranker failed: {type(e).__name__}: {e}"
        if len(values) != len(todo):
            return None, f"ranker returned {len(values)} scores for {len(todo)} items"
        self.cache.store(key, [(c.id, c.version, float(s)) for c, s in zip(todo, values)])
        return {c.id: float(s) for c, s in zip(todo, values)}, None

    def _run(self, query: RankQuery, todo: list[Candidate], deadline: float) -> list[float]:
        if self._clock() >= deadline:
            raise _TooLate()
        return list(self.ranker.score(query, [rank_item(c) for c in todo]))

    def _store_late(self, key: CacheKey, todo: list[Candidate], future: Future) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        values = future.result()
        if len(values) == len(todo):
            self.cache.store(key, [(c.id, c.version, float(s)) for c, s in zip(todo, values)])

    def _in_retrieval_order(self, req: RankRequest, n: int, reason: str | None) -> Ranked:
        items = req.candidates[: req.k]
        return Ranked(items=items, scores=[c.retrieval_score for c in items], variant=self.ranker.variant,
                      version=self.ranker.version, degraded=True, reason=reason, depth=n)


def searcher_key(searcher: dict[str, Any]) -> str:
    """The searcher's id, else a digest of the context (anonymous = '')."""
    if not searcher:
        return ""
    if searcher.get("id"):
        return f"id:{searcher['id']}"
    blob = json.dumps(searcher, sort_keys=True, default=str).encode()
    return "ctx:" + hashlib.blake2b(blob, digest_size=8).hexdigest()


def rank_item(c: Candidate) -> RankItem:
    """What a ranker sees of a candidate: payload, stored vector, facts vector, retrieval cosine."""
    return RankItem(id=c.id, payload=c.payload, vector=c.vector_list(), retrieval_score=c.retrieval_score,
                    facts_vector=facts_vector_of(c.payload))
