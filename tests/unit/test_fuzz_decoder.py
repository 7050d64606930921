"""Hostile records: the event decoder either returns a valid event or raises InvalidEvent, and the ingest
worker survives any mix of good and garbage records, dead-lettering every garbage one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semstream.actors.retry import Backoff
from semstream.actors.worker import IngestWorker, WorkerOptions
from semstream.errors import InvalidEvent
from semstream.models.embedder import HashEmbedder
from semstream.schemas import EVENT_MODELS, EntityEvent, EntityKind, Op
from semstream.store.memory import MemoryStore
from semstream.topics.errors import ErrorPolicy
from semstream.topics.memory import MemoryBroker
from semstream.topics.registry import DEADLETTER, JOBS, PROFILES, Topic
from semstream.topics.serde import decode_event

MAX_TEXT = 2_000
KINDS = st.sampled_from(list(EntityKind))
FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
FIELD_NAMES = ["op", "id", "version", "updated_at", "title", "company", "remote", "skills", "description",
               "years_experience", "open_to_work", "posted_at", "headline", "name"]
# objects built from the real field names with arbitrary values: close enough to valid to reach validation
near_events = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values | st.sampled_from(
    ["upsert", "delete", "remote", "2024-05-01T10:00:00Z", "x" * 3000]), max_size=10)
valid_events = st.builds(
    lambda op, i, v, title: {"op": op, "id": f"e{i}", "version": v, **({"title": title} if op == "upsert" else {})},
    st.sampled_from(["upsert", "delete"]), st.integers(0, 50), st.integers(0, 10**6), st.text(min_size=1, max_size=60),
)


def _decode_or_invalid(kind: EntityKind, key: bytes | None, value: bytes | None) -> EntityEvent | None:
    """The decoder's answer, or None for InvalidEvent; any other exception fails the test."""
    try:
        event = decode_event(kind, key, value, max_text_chars=MAX_TEXT)
    except InvalidEvent as e:
        assert str(e), "InvalidEvent without a reason"
        return None
    assert isinstance(event, EVENT_MODELS[kind])
    assert event.op in (Op.UPSERT, Op.DELETE) and event.id.strip() and event.version >= 0
    return event


@FAST
@given(kind=KINDS, key=st.none() | st.binary(max_size=40), value=st.none() | st.binary(max_size=400))
def test_arbitrary_bytes_decode_or_raise_invalid_event(kind: EntityKind, key: bytes | None, value: bytes | None) -> None:
    _decode_or_invalid(kind, key, value)


@FAST
@given(kind=KINDS, data=st.dictionaries(st.text(max_size=12), json_values, max_size=8) | near_events)
def test_arbitrary_json_objects_decode_or_raise_invalid_event(kind: EntityKind, data: dict[str, Any]) -> None:
    value = json.dumps(data).encode()
    key = str(data.get("id", "")).encode() if isinstance(data.get("id"), str) else None
    event = _decode_or_invalid(kind, key, value)
    if event is not None:
        assert event.id == str(data["id"]).strip()


@FAST
@given(kind=KINDS, data=valid_events)
def test_valid_events_decode(kind: EntityKind, data: dict[str, Any]) -> None:
    event = _decode_or_invalid(kind, data["id"].encode(), json.dumps(data).encode())
    assert event is not None and (event.id, event.version) == (data["id"], data["version"])


DEEP = b'{"op":"upsert","id":"a","version":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}"
HUGE_INT = b'{"op":"upsert","id":"a","version":1' + b"0" * 5000 + b"}"


@pytest.mark.parametrize("value", [DEEP, HUGE_INT], ids=["deep-nesting", "huge-integer"])
def test_pathological_json_is_an_invalid_event(value: bytes) -> None:
    with pytest.raises(InvalidEvent):
        decode_event(EntityKind.JOB, None, value, max_text_chars=MAX_TEXT)


# --- the worker --------------------------------------------------------------------------------------

garbage = st.one_of(
    st.binary(max_size=200).filter(lambda b: not b.strip().startswith(b"{")),  # never a JSON object
    st.just(b""), st.just(b"null"), st.just(b"[1,2]"),
    st.builds(lambda d: json.dumps(d).encode(), st.dictionaries(st.sampled_from(["title", "op"]), json_values)),  # no id
    st.builds(lambda i: json.dumps({"op": "merge", "id": f"g{i}", "version": 1}).encode(), st.integers(0, 9)),
    st.builds(lambda i: json.dumps({"op": "upsert", "id": f"g{i}", "version": -1}).encode(), st.integers(0, 9)),
    st.builds(lambda i: json.dumps({"op": "upsert", "id": f"g{i}", "version": 1, "description": "x" * (MAX_TEXT + 1)}
                                   ).encode(), st.integers(0, 9)),
)
records = st.lists(st.one_of(valid_events.map(lambda e: ("valid", e)), garbage.map(lambda g: ("garbage", g))),
                   min_size=1, max_size=40)


def _worker(broker: MemoryBroker, store: MemoryStore) -> IngestWorker:
    source = broker.source("fuzz", [JOBS, PROFILES])
    return IngestWorker(source, store, HashEmbedder(), ErrorPolicy("dead_letter", broker.sink()),
                        {JOBS: EntityKind.JOB, PROFILES: EntityKind.PROFILE},
                        WorkerOptions(max_records=7, poll_ms=1, max_text_chars=MAX_TEXT),
                        backoff=Backoff(attempts=2, first_delay_s=0.0))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(mix=records, topic=st.sampled_from([JOBS, PROFILES]))
def test_the_worker_survives_garbage_and_dead_letters_every_bad_record(mix: list[tuple[str, Any]], topic: str) -> None:
    broker, store = MemoryBroker(), MemoryStore()
    broker.ensure_topics([Topic(JOBS, 2, EntityKind.JOB), Topic(PROFILES, 1, EntityKind.PROFILE), Topic(DEADLETTER, 1)])
    sink = broker.sink()
    for what, item in mix:
        key = item["id"].encode() if what == "valid" else None
        sink.send(topic, key, json.dumps(item).encode() if what == "valid" else item)
    worker = _worker(broker, store)
    steps = 0
    while worker.step() and steps < 100:  # never raises, and drains
        steps += 1
    letters = [json.loads(r.value) for r in broker.records(DEADLETTER)]
    assert len(letters) == sum(what == "garbage" for what, _ in mix)
    assert all(letter["source_topic"] == topic and letter["reason"] for letter in letters)
    assert worker.stats.consumed == len(mix) and worker.stats.dead_lettered == len(letters)
    assert sum(broker.lag("fuzz", [topic])[topic].values()) == 0  # every offset committed
    kind = EntityKind.JOB if topic == JOBS else EntityKind.PROFILE
    newest: dict[str, dict] = {}
    for what, e in mix:
        if what == "valid" and (e["id"] not in newest or e["version"] > newest[e["id"]]["version"]):
            newest[e["id"]] = e
    live = {i for i, e in newest.items() if e["op"] == "upsert"}
    assert {h.id for h in store.get(kind, sorted(newest))} == live
