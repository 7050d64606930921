"""Thin Ray wrappers: the index owner and the ingest actor. All logic lives in plain classes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import ray

from semstream.config import Settings
from semstream.schemas import Document, EntityKind, Hit
from semstream.store.compact import CompactHits
from semstream.store.filters import Filter
from semstream.store.protocol import WriteResult

NAMESPACE = "semstream"
INDEX_OWNER_NAME = "semstream-index-owner"


@ray.remote(num_cpus=0.25, max_concurrency=8)
class IndexOwnerActor:
    """Owns the embedded store; every other process reaches it through ActorStoreClient."""

    def __init__(self, settings: Settings) -> None:
        from semstream.store.factory import open_store

        self._store = open_store(settings)

    def ready(self) -> bool:
        return True

    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        self._store.ensure_collection(kind, dim)

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        return self._store.apply(docs)

    def search(self, kind: EntityKind, vector: Sequence[float], limit: int, flt: Filter | None,
               with_vectors: bool, payload_fields: Sequence[str] | None = None) -> list[Hit]:
        return self._store.search(kind, vector, limit, flt, with_vectors, payload_fields)

    def get(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None = None) -> list[Hit]:
        return self._store.get(kind, ids, payload_fields)

    def search_compact(self, kind: EntityKind, vector: Sequence[float], limit: int, flt: Filter | None,
                       with_vectors: bool, payload_fields: Sequence[str] | None) -> CompactHits:
        """Columns travel as a few buffers: far cheaper to pickle than ``Hit`` models."""
        return self._store.search_compact(kind, vector, limit, flt, with_vectors, payload_fields)

    def get_compact(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None,
                    with_vectors: bool) -> CompactHits:
        return self._store.get_compact(kind, ids, payload_fields, with_vectors)

    def count(self, kind: EntityKind) -> int:
        return self._store.count(kind)

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        return self._store.versions(kind, ids)

    def maintain(self) -> bool:
        """Build HNSW / merge segments; slow, so called off the hot path."""
        maintain = getattr(self._store, "maintain", None)
        return bool(maintain()) if maintain else False

    def purge_deleted(self) -> dict[str, int]:
        """Rewrite the embedded shards without deleted entities' data; slow, blocks every write."""
        return purge_deleted(self._store)

    def close(self) -> None:
        self._store.close()


def purge_deleted(store: Any) -> dict[str, int]:
    """Points kept per collection after ``store.purge_deleted()``; ``{}`` for a store without it.

    The in-memory store keeps nothing on disk, and a Qdrant server reclaims deleted points with its
    own vacuum optimizer.
    """
    purge = getattr(store, "purge_deleted", None)
    return dict(purge()) if purge else {}


def join_running_ray(settings: Settings) -> None:
    """Attach this process (a CLI command) to the running stack's Ray; ConnectionError when none runs."""
    ray.init(address=settings.ray_address or "auto", namespace=NAMESPACE, logging_level="ERROR", log_to_driver=False)


def index_owner(settings: Settings) -> Any:
    """The one index owner of this Ray cluster, created on first use (detached, named).

    Ray restarts it if its process dies (the shards' write-ahead log keeps every acknowledged
    write); calls made meanwhile fail and callers retry. ``ray.kill`` ends it for good.
    """
    return IndexOwnerActor.options(
        name=INDEX_OWNER_NAME, namespace=NAMESPACE, lifetime="detached", get_if_exists=True, max_restarts=-1
    ).remote(settings)


@ray.remote(num_cpus=0.5, max_concurrency=2)
class IngestActor:
    """One consumer-group member running an IngestWorker loop until asked to stop."""

    def __init__(self, settings: Settings, index: int) -> None:
        from semstream.actors.wiring import build_worker

        self._stop = threading.Event()
        self._worker = build_worker(settings, worker_index=index)

    def run(self) -> None:
        self._worker.run(self._stop.is_set)

    def stop(self) -> None:
        self._stop.set()

    def stats(self) -> dict[str, Any]:
        return self._worker.report().model_dump()

    def where(self) -> dict[str, Any]:
        """The Ray node and process this member runs in."""
        import os

        return {"node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def reset_freshness(self) -> None:
        """Start a new freshness window (benchmarks measure one phase at a time)."""
        self._worker.reset_freshness()
