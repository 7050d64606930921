"""Open the configured vector store: a Qdrant server if ``qdrant_url`` is set, else embedded Edge."""

from __future__ import annotations

from semstream.config import Settings
from semstream.store.protocol import VectorStore

EDGE_SUBDIR = "qdrant"


def open_store(settings: Settings) -> VectorStore:
    """``QdrantServerStore(qdrant_url, api_key)`` or ``EdgeStore(data_dir / "qdrant")``."""
    if settings.qdrant_url:
        from semstream.store.qdrant_server import QdrantServerStore

        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantServerStore(settings.qdrant_url, api_key=api_key)
    from semstream.store.edge import EdgeStore

    return EdgeStore(settings.data_dir / EDGE_SUBDIR)
