"""A VectorStore that forwards every call to the index-owner actor (embedded mode).

Qdrant Edge lets one process own a shard directory, so in embedded mode a single actor owns
the index and ingest workers and retrieval replicas reach it through this client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ray

from semstream.errors import StoreUnavailable
from semstream.schemas import Document, EntityKind, Hit
from semstream.store.filters import Filter
from semstream.store.protocol import WriteResult


class ActorStoreClient:
    def __init__(self, handle: Any, timeout_s: float = 60.0) -> None:
        self._handle = handle
        self._timeout_s = timeout_s

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return ray.get(getattr(self._handle, method).remote(*args), timeout=self._timeout_s)
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError) as e:
            raise StoreUnavailable(f"index owner did not answer {method}: {e}") from e

    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        self._call("ensure_collection", kind, dim)

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        return self._call("apply", list(docs))

    def search(self, kind: EntityKind, vector: Sequence[float], limit: int, flt: Filter | None = None,
               with_vectors: bool = False) -> list[Hit]:
        return self._call("search", kind, list(vector), limit, flt, with_vectors)

    def get(self, kind: EntityKind, ids: Sequence[str]) -> list[Hit]:
        return self._call("get", kind, list(ids))

    def count(self, kind: EntityKind) -> int:
        return self._call("count", kind)

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        return self._call("versions", kind, list(ids))

    def close(self) -> None:
        """The owner closes the store; a client has nothing to release."""
