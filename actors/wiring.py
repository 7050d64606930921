"""Build a real IngestWorker from settings: Kafka source and sink, store, embedder."""

from __future__ import annotations

from semstream.config import Settings
from semstream.schemas import EntityKind
from semstream.store.protocol import VectorStore

from semstream.actors.worker import IngestWorker, WorkerOptions


def bootstrap_servers(settings: Settings) -> str:
    """The configured Kafka cluster, else the embedded broker's loopback address."""
    return settings.kafka_bootstrap or f"127.0.0.1:{settings.broker_port}"


def entity_topics() -> dict[str, EntityKind]:
    from semstream.topics.registry import topic_name

    return {topic_name(kind): kind for kind in EntityKind}


def store_for_ingest(settings: Settings) -> VectorStore:
    """Embedded mode talks to the index-owner actor; server mode opens the server directly."""
    if settings.qdrant_url:
        from semstream.store.factory import open_store

        return open_store(settings)
    from semstream.actors.index_client import ActorStoreClient

    return ActorStoreClient.for_settings(settings)


def embedder_for(settings: Settings):
    from semstream.models.embedder import TransformerEmbedder

    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    return TransformerEmbedder(settings.embedder_path, settings.embed_max_tokens, settings.embed_batch_size)


def build_worker(settings: Settings, worker_index: int = 0) -> IngestWorker:
    from semstream.topics.consumer import KafkaEventSource
    from semstream.topics.errors import ErrorPolicy
    from semstream.topics.producer import KafkaEventSink

    topics = entity_topics()
    source = KafkaEventSource(bootstrap_servers(settings), settings, list(topics))
    policy = ErrorPolicy(settings.on_error, KafkaEventSink(bootstrap_servers(settings), settings))
    store = store_for_ingest(settings)
    embedder = embedder_for(settings)
    for kind in EntityKind:
        store.ensure_collection(kind, embedder.dim)
    options = WorkerOptions(settings.ingest_batch_size, settings.ingest_poll_ms, settings.max_text_chars)
    from semstream.actors.invalidation import CacheInvalidator
    from semstream.actors.metrics import RayIngestMetrics

    metrics = RayIngestMetrics(lambda: {kind.value: store.count(kind) for kind in EntityKind})
    return IngestWorker(source, store, embedder, policy, topics, options,
                        on_written=CacheInvalidator(), observer=metrics)
