"""The ingest worker against the in-memory broker and store: exact final state, dead letters, no loss."""

from __future__ import annotations

import json
import random

import pytest

from semstream.actors.retry import Backoff
from semstream.actors.worker import IngestWorker, WorkerOptions
from semstream.errors import StoreError, StoreUnavailable
from semstream.models.embedder import HashEmbedder
from semstream.schemas import EntityKind
from semstream.store.memory import MemoryStore
from semstream.topics.errors import ErrorPolicy
from semstream.topics.memory import MemoryBroker
from semstream.topics.registry import DEADLETTER, JOBS, PROFILES, Topic

TOPIC_KINDS = {JOBS: EntityKind.JOB, PROFILES: EntityKind.PROFILE}
FAST = Backoff(attempts=4, first_delay_s=0.0)


def make_broker() -> MemoryBroker:
    broker = MemoryBroker()
    broker.ensure_topics([Topic(JOBS, 3, EntityKind.JOB), Topic(PROFILES, 2, EntityKind.PROFILE), Topic(DEADLETTER, 1)])
    return broker


def make_worker(broker, store, group="g") -> IngestWorker:
    source = broker.source(group, [JOBS, PROFILES])
    policy = ErrorPolicy("dead_letter", broker.sink())
    return IngestWorker(source, store, HashEmbedder(), policy, TOPIC_KINDS,
                        WorkerOptions(max_records=7, poll_ms=1, max_text_chars=2000), backoff=FAST)


def job(i: int, version: int, op: str = "upsert", title: str | None = None) -> dict:
    event = {"op": op, "id": f"j{i}", "version": version}
    if op == "upsert":
        event.update(title=title or f"engineer {i} v{version}", company="Acme", skills=["python"])
    return event


def send(broker, topic: str, event: dict | bytes, key: bytes | None = None) -> None:
    value = event if isinstance(event, bytes) else json.dumps(event).encode()
    if key is None and isinstance(event, dict) and "id" in event:
        key = str(event["id"]).encode()
    sink = broker.sink()
    sink.send(topic, key, value)
    sink.flush(1)


def drain(worker: IngestWorker, max_steps: int = 500) -> None:
    for _ in range(max_steps):
        if worker.step() == 0:
            return
    raise AssertionError("worker did not drain the topics")


def expected_state(events: list[dict]) -> dict[str, dict]:
    """Reference fold: the newest version of each id wins; a newest delete means absent."""
    newest: dict[str, dict] = {}
    for e in events:
        if e["id"] not in newest or e["version"] > newest[e["id"]]["version"]:
            newest[e["id"]] = e
    return {i: e for i, e in newest.items() if e["op"] == "upsert"}


def indexed_state(store: MemoryStore, ids: list[str]) -> dict[str, tuple[int, str]]:
    return {h.id: (h.version, h.payload["title"]) for h in store.get(EntityKind.JOB, ids)}


POISON = [
    (b"{not json", "JSON"),
    (json.dumps({"op": "upsert", "version": 1}).encode(), "id"),
    (json.dumps({"op": "merge", "id": "p1", "version": 1}).encode(), "op"),
    (json.dumps({"op": "upsert", "id": "p2", "version": "seven"}).encode(), "version"),
    (json.dumps({"op": "upsert", "id": "p3", "version": 1, "description": "x" * 5000}).encode(), "description"),
    (json.dumps([1, 2, 3]).encode(), "object"),
]


def test_final_index_is_exact_with_updates_deletes_duplicates_reordering_and_poison():
    broker, store = make_broker(), MemoryStore()
    rng = random.Random(3)
    events = [job(i, v) for i in range(40) for v in (1, 2, 3)]
    events += [job(i, 4, op="delete") for i in range(0, 40, 5)]
    events += [job(i, 2) for i in range(0, 40, 5)]           # replayed older upsert after a delete
    events += [job(i, 3) for i in range(1, 40, 7)]           # exact duplicates
    rng.shuffle(events)
    for e in events:
        send(broker, JOBS, e)
    for value, _ in POISON:
        send(broker, JOBS, value, key=b"poison")

    worker = make_worker(broker, store)
    drain(worker)

    want = expected_state(events)
    got = indexed_state(store, [f"j{i}" for i in range(40)])
    assert got == {i: (e["version"], e["title"]) for i, e in want.items()}
    assert all(f"j{i}" not in got for i in range(0, 40, 5))
    dead = [json.loads(r.value) for r in broker.records(DEADLETTER)]
    assert len(dead) == len(POISON)
    for letter, (_, reason_word) in zip(sorted(dead, key=lambda d: d["offset"]), POISON):
        assert reason_word.lower() in letter["reason"].lower()
    assert worker.report().dead_lettered == len(POISON)


def test_offsets_are_committed_only_after_the_store_acknowledged():
    class FailingStore(MemoryStore):
        def apply(self, docs):
            raise StoreError("disk full")

    broker = make_broker()
    for i in range(10):
        send(broker, JOBS, job(i, 1))
    failing = make_worker(broker, FailingStore())
    with pytest.raises(StoreError):
        failing.step()
    failing.close()                      # the failed member leaves the group
    store = MemoryStore()
    drain(make_worker(broker, store))   # a new member of the group sees everything again
    assert store.count(EntityKind.JOB) == 10


def test_transient_store_outage_is_retried_without_loss():
    class FlakyStore(MemoryStore):
        failures = 3

        def apply(self, docs):
            if self.failures:
                self.failures -= 1
                raise StoreUnavailable("connection refused")
            return super().apply(docs)

    broker, store = make_broker(), FlakyStore()
    for i in range(20):
        send(broker, JOBS, job(i, 1))
    worker = make_worker(broker, store)
    drain(worker)
    assert store.count(EntityKind.JOB) == 20
    assert worker.report().retries == 3


def test_a_crash_mid_stream_loses_nothing():
    class CrashAfter(MemoryStore):
        def __init__(self, batches: int) -> None:
            super().__init__()
            self.batches = batches

        def apply(self, docs):
            if self.batches == 0:
                raise RuntimeError("worker killed")
            self.batches -= 1
            return super().apply(docs)

    broker = make_broker()
    events = [job(i, v) for i in range(30) for v in (1, 2)]
    for e in events:
        send(broker, JOBS, e)
    store = CrashAfter(batches=3)
    crashed = make_worker(broker, store)
    with pytest.raises(RuntimeError):
        drain(crashed)
    crashed.close()
    store.batches = 10_000
    drain(make_worker(broker, store))
    got = indexed_state(store, [f"j{i}" for i in range(30)])
    assert got == {i: (e["version"], e["title"]) for i, e in expected_state(events).items()}


def test_profiles_are_written_to_their_own_collection():
    broker, store = make_broker(), MemoryStore()
    send(broker, PROFILES, {"op": "upsert", "id": "m1", "version": 1, "headline": "Data engineer",
                            "skills": ["Spark"], "location": "Berlin"})
    drain(make_worker(broker, store))
    (hit,) = store.get(EntityKind.PROFILE, ["m1"])
    assert hit.payload["headline"] == "Data engineer"
    assert hit.payload["skills_key"] == ["spark"]
    assert store.count(EntityKind.JOB) == 0


def test_observer_sees_per_topic_outcomes_and_dead_letter_codes():
    from semstream.actors.observer import BatchOutcome

    seen: list[BatchOutcome] = []

    class Recorder:
        def observe(self, outcome):
            seen.append(outcome)

    broker, store = make_broker(), MemoryStore()
    send(broker, JOBS, job(1, 2))
    send(broker, JOBS, job(1, 1))
    send(broker, PROFILES, {"op": "upsert", "id": "m1", "version": 1, "headline": "x"})
    send(broker, JOBS, b"{oops", key=b"k")
    worker = make_worker(broker, store)
    worker.observer = Recorder()
    drain(worker)
    total = sum((o.outcomes for o in seen), start=__import__("collections").Counter())
    assert total[(JOBS, "written")] + total[(JOBS, "stale")] == 2
    assert total[(PROFILES, "written")] == 1
    assert total[(JOBS, "dead_letter")] == 1
    assert [code for o in seen for _, code in o.dead_letters] == ["decode"]
    assert len([f for o in seen for f in o.freshness]) == 3
