"""Build each stage's heavy parts from settings, inside the replica that uses them (lazy imports).

The Serve wrappers take these as arguments, so tests can hand in twins instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from semstream.config import Settings
from semstream.models.embedder import Embedder
from semstream.models.ranker.protocol import Ranker
from semstream.store.protocol import VectorStore

from semstream.deployments.store_access import store_for_serving
from semstream.deployments.understanding import QueryModel


def query_model(settings: Settings) -> QueryModel:
    """Rules + tagger over ESCO titles from the shared data when present (as ingest normalises titles)."""
    from semstream.models.qu.service import QueryUnderstanding

    return QueryUnderstanding.from_shared_data(settings.shared_data_dir)


def serving_store(settings: Settings) -> VectorStore:
    return store_for_serving(settings)


def serving_embedder(settings: Settings) -> Embedder:
    """The very bi-encoder ingest uses, so query and item vectors share one space."""
    from semstream.actors.wiring import embedder_for

    return embedder_for(settings)


def serving_ranker(settings: Settings) -> Ranker:
    """The newest version of the named ranker (``semstream up`` trains the default one first), scoring
    with ``ranker_threads`` torch threads in the loading thread (the scoring thread sets its own)."""
    from semstream.models.ranker.registry import load_ranker

    ranker_thread_setup(settings)()
    return load_ranker(settings.serve_ranker or "default", settings)


def ranker_threads(settings: Settings) -> int:
    return settings.ranker_threads or settings.torch_threads or max(1, os.cpu_count() or 1)


def ranker_thread_setup(settings: Settings) -> Callable[[], None]:
    """Sets ``ranker_threads`` in the thread that calls it. Torch's intra-op thread count is per OS thread
    (OpenMP), so the Ranking service's scoring thread needs its own call: one made in the replica's
    constructor leaves that thread at Ray's OMP_NUM_THREADS=1 (measured: a pool thread ran a matmul
    loop in 0.77 s at one thread, 0.51 s with this set to 2, on 2 cores)."""
    threads = ranker_threads(settings)

    def setup() -> None:
        import torch

        torch.set_num_threads(threads)

    return setup


def engagement_sink(settings: Settings) -> object:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.producer import KafkaEventSink

    return KafkaEventSink(bootstrap_servers(settings), settings, client_id="semstream-feedback")
