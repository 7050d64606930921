"""Which store the Retrieval deployment reads: the index-owner actor (embedded) or the server."""

from __future__ import annotations

from semstream.config import Settings
from semstream.store.protocol import VectorStore


def store_for_serving(settings: Settings) -> VectorStore:
    """Server mode (``qdrant_url`` set) opens the server; embedded mode must not open the shard
    (one process owns it) and talks to the named index-owner actor instead."""
    if settings.qdrant_url:
        from semstream.store.factory import open_store

        return open_store(settings)
    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.ray_actors import index_owner

    return ActorStoreClient(index_owner(settings))
