"""A VectorStore that forwards every call to the index-owner actor (embedded mode).

Qdrant Edge lets one process own a shard directory, so in embedded mode a single actor owns
the index and ingest workers and retrieval replicas reach it through this client.

The owner can die (its process crashed, a node was lost, an operator killed it) and come back
under the same name. A call that finds it gone raises :class:`StoreUnavailable` (callers back off
and retry) and drops the handle; the next call looks the owner up again with ``resolve``.

Reads travel as :class:`CompactHits` (columns, float32 vectors, only the payload keys asked for);
``search``/``get`` rebuild ``Hit`` lists from them for callers of the list API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import ray

from semstream.config import Settings
from semstream.errors import StoreUnavailable
from semstream.schemas import Document, EntityKind
from semstream.store.compact import CompactHits, HitReads, check_fields
from semstream.store.filters import Filter
from semstream.store.protocol import WriteResult


def named_index_owner() -> Any:
    """The running index owner, looked up by name (raises ValueError when there is none)."""
    from semstream.actors.ray_actors import INDEX_OWNER_NAME, NAMESPACE

    return ray.get_actor(INDEX_OWNER_NAME, namespace=NAMESPACE)


class ActorStoreClient(HitReads):
    def __init__(self, handle: Any, timeout_s: float = 60.0, resolve: Callable[[], Any] = named_index_owner) -> None:
        self._handle: Any = handle
        self._timeout_s = timeout_s
        self._resolve = resolve

    @classmethod
    def for_settings(cls, settings: Settings, timeout_s: float = 60.0) -> ActorStoreClient:
        """A client that also recreates the owner (same data dir) when it finds none running."""
        from semstream.actors.ray_actors import index_owner

        return cls(index_owner(settings), timeout_s, resolve=lambda: index_owner(settings))

    def _owner(self) -> Any:
        if self._handle is None:
            try:
                self._handle = self._resolve()
            except (ValueError, ray.exceptions.RayError) as e:
                raise StoreUnavailable(f"no index owner running: {e}") from e
        return self._handle

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return ray.get(getattr(self._owner(), method).remote(*args), timeout=self._timeout_s)
        except ray.exceptions.RayActorError as e:
            self._handle = None  # gone: look it up again on the next call
            raise StoreUnavailable(f"index owner did not answer {method}: {e}") from e
        except ray.exceptions.GetTimeoutError as e:
            raise StoreUnavailable(f"index owner did not answer {method} within {self._timeout_s}s: {e}") from e

    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        self._call("ensure_collection", kind, dim)

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        return self._call("apply", list(docs))



    def search_compact(self, kind: EntityKind, vector: Sequence[float], limit: int, flt: Filter | None = None,
                       with_vectors: bool = False, payload_fields: Sequence[str] | None = None) -> CompactHits:
        fields = check_fields(payload_fields)
        query = np.asarray(vector, dtype=np.float32)  # one buffer instead of 384 pickled floats
        return self._call("search_compact", kind, query, limit, flt, with_vectors, fields)

    def get_compact(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None = None,
                    with_vectors: bool = True) -> CompactHits:
        return self._call("get_compact", kind, list(ids), check_fields(payload_fields), with_vectors)

    def count(self, kind: EntityKind) -> int:
        return self._call("count", kind)

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        return self._call("versions", kind, list(ids))

    def purge_deleted(self) -> dict[str, int]:
        """Points kept per collection after the owner rewrote its shards without deleted data.

        Bound by this client's timeout; a purge that outlasts it goes on in the owner.
        """
        return self._call("purge_deleted")

    def close(self) -> None:
        """The owner closes the store; a client has nothing to release."""
