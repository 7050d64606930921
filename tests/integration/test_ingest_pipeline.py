"""Kafka -> Ray ingest actors -> Qdrant Edge, with the real broker, real Ray and the real embedder."""

from __future__ import annotations

import json
import random
import time

import pytest

from semstream.schemas import EntityKind

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def job_event(i: int, version: int, op: str = "upsert") -> dict:
    event = {"op": op, "id": f"job-{i}", "version": version}
    if op == "upsert":
        event.update(title=f"Backend engineer {i} rev {version}", company=f"Company {i % 7}",
                     location="Berlin, Germany", remote="remote" if i % 2 else "onsite",
                     skills=["python", "kafka"], description="Build streaming systems. " * 5)
    return event


def scenario(n: int = 120, seed: int = 11) -> tuple[list[dict], list[bytes]]:
    rng = random.Random(seed)
    events = [job_event(i, v) for i in range(n) for v in (1, 2)]
    events += [job_event(i, 3, "delete") for i in range(0, n, 6)]
    events += [job_event(i, 1) for i in range(0, n, 6)]          # old upsert replayed after the delete
    events += [job_event(i, 2) for i in range(1, n, 9)]          # duplicates
    rng.shuffle(events)
    poison = [b"{broken", json.dumps({"op": "upsert", "version": 1}).encode(),
              json.dumps({"op": "explode", "id": "x", "version": 1}).encode()]
    return events, poison


def expected(events: list[dict]) -> dict[str, int]:
    newest: dict[str, dict] = {}
    for e in events:
        if e["id"] not in newest or e["version"] > newest[e["id"]]["version"]:
            newest[e["id"]] = e
    return {i: e["version"] for i, e in newest.items() if e["op"] == "upsert"}


def produce(settings, events: list[dict], poison: list[bytes]) -> None:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.admin import ensure_topics
    from semstream.topics.producer import KafkaEventSink
    from semstream.topics.registry import JOBS

    ensure_topics(bootstrap_servers(settings), settings)
    sink = KafkaEventSink(bootstrap_servers(settings), settings)
    for e in events:
        sink.send(JOBS, e["id"].encode(), json.dumps(e).encode())
    for value in poison:
        sink.send(JOBS, b"poison", value)
    sink.flush(30)
    sink.close()


def dead_letters(settings, expected_count: int, timeout_s: float = 30) -> list[dict]:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.consumer import KafkaEventSource
    from semstream.topics.registry import DEADLETTER

    reader = KafkaEventSource(bootstrap_servers(settings), settings.model_copy(update={"consumer_group": "dlq-reader"}),
                              [DEADLETTER])
    letters: list[dict] = []
    deadline = time.time() + timeout_s
    while len(letters) < expected_count and time.time() < deadline:
        letters += [json.loads(r.value) for r in reader.poll(100, 500)]
    time.sleep(1)
    letters += [json.loads(r.value) for r in reader.poll(100, 500)]
    reader.close()
    return letters


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.time() + timeout_s
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


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
        wait_for(lambda: _indexed(store, want) == want, 180, "the index to converge")
    finally:
        pool.stop()
    assert store.count(EntityKind.JOB) == len(want)
    # A redelivered batch may dead-letter a record twice; its source offset identifies it.
    letters = {(d["source_topic"], d["partition"], d["offset"]): d for d in dead_letters(stack_settings, len(poison))}
    letters = list(letters.values())
    assert sorted(letter["value"] for letter in letters) == sorted(p.decode() for p in poison)
    assert all(letter["reason"] for letter in letters)


def _indexed(store, want: dict[str, int]) -> dict[str, int]:
    ids = [f"job-{i}" for i in range(200)]
    return {h.id: h.version for h in store.get(EntityKind.JOB, ids)}
