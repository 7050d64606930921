"""Kafka -> Ray ingest actors -> Qdrant Edge, with the real broker, real Ray and the real embedder."""

from __future__ import annotations

import pytest
from helpers import dead_letters, expected, indexed, job_ids, produce, scenario, wait_for

from semstream.schemas import EntityKind

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_pipeline_ends_exactly_right_even_when_an_actor_is_killed(stack_settings, index_owner):
    import ray

    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.pool import IngestPool

    events, poison = scenario()
    want = expected(events)
    store = ActorStoreClient(index_owner)
    pool = IngestPool(stack_settings, size=2)
    pool.start()
    try:
        produce(stack_settings, events, poison)
        wait_for(lambda: sum(s.get("consumed", 0) for s in pool.stats()) > 20, 120, "ingest to start")
        ray.kill(pool.actors[0])                      # mid-stream
        wait_for(lambda: pool.check() != [] or pool.restarts > 0, 30, "the pool to restart the actor")
        wait_for(lambda: indexed(store, job_ids(0, 200)) == want, 180, "the index to converge")
    finally:
        pool.stop()
    assert store.count(EntityKind.JOB) == len(want)
    # A redelivered batch may dead-letter a record twice; its source offset identifies it.
    letters = dead_letters(stack_settings, len(poison))
    assert sorted(letter["value"] for letter in letters) == sorted(p.decode() for p in poison)
    assert all(letter["reason"] for letter in letters)

