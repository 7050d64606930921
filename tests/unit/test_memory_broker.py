"""The in-memory broker twin keeps Kafka's semantics: partitioning, groups, commits, rebalances.

Also the dead-letter record and the on_error policy, which run on top of any sink.
"""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from kafka.partitioner.default import murmur2

from semstream.errors import ConfigError, InvalidEvent
from semstream.topics.deadletter import VALUE_CAP_BYTES, DeadLetter, dead_letter
from semstream.topics.errors import ErrorPolicy
from semstream.topics.exceptions import CommitError, DeliveryError, TopicsError
from semstream.topics.memory import MemoryBroker
from semstream.topics.protocol import EventSink, EventSource, RawRecord, next_offsets
from semstream.topics.registry import DEADLETTER, JOBS, Topic


def _broker(partitions: int = 4) -> MemoryBroker:
    broker = MemoryBroker()
    broker.create_topic(JOBS, partitions)
    return broker


def _fill(broker: MemoryBroker, n: int, topic: str = JOBS) -> None:
    sink = broker.sink()
    for i in range(n):
        sink.send(topic, f"k{i}".encode(), f"v{i}".encode())
    sink.flush(1)


def _drain(source: EventSource, timeout_ms: int = 10) -> list[RawRecord]:
    out: list[RawRecord] = []
    while batch := source.poll(7, timeout_ms):
        out.extend(batch)
    return out


def test_twins_satisfy_the_protocols() -> None:
    broker = _broker()
    assert isinstance(broker.source("g", [JOBS]), EventSource)
    assert isinstance(broker.sink(), EventSink)


def test_partition_is_kafkas_murmur2_of_the_key() -> None:
    broker = _broker(partitions=3)
    _fill(broker, 30)
    for record in broker.records(JOBS):
        assert record.partition == (murmur2(record.key) & 0x7FFFFFFF) % 3


def test_same_key_keeps_order_in_one_partition() -> None:
    broker = _broker()
    sink = broker.sink()
    for version in range(5):
        sink.send(JOBS, b"job-7", str(version).encode())
    records = broker.records(JOBS)
    assert len({r.partition for r in records}) == 1
    assert [r.value for r in records] == [b"0", b"1", b"2", b"3", b"4"]
    assert [r.offset for r in records] == [0, 1, 2, 3, 4]


def test_keyless_records_spread_over_partitions() -> None:
    broker = _broker(partitions=2)
    sink = broker.sink()
    for _ in range(4):
        sink.send(JOBS, None, b"x")
    assert broker.end_offsets(JOBS) == {0: 2, 1: 2}


def test_one_source_reads_everything_once() -> None:
    broker = _broker()
    _fill(broker, 50)
    records = _drain(broker.source("g", [JOBS]))
    assert sorted(r.value for r in records) == sorted(f"v{i}".encode() for i in range(50))


def test_poll_respects_max_records() -> None:
    broker = _broker()
    _fill(broker, 50)
    assert len(broker.source("g", [JOBS]).poll(5, 0)) == 5


def test_sources_in_a_group_split_partitions() -> None:
    broker = _broker(partitions=4)
    _fill(broker, 80)
    a, b = broker.source("g", [JOBS]), broker.source("g", [JOBS])
    got_a, got_b = _drain(a), _drain(b)
    assert {r.partition for r in got_a}.isdisjoint({r.partition for r in got_b})
    assert len(a.assignment) == 2 and len(b.assignment) == 2
    assert len(got_a) + len(got_b) == 80


def test_groups_are_independent() -> None:
    broker = _broker()
    _fill(broker, 20)
    assert len(_drain(broker.source("g1", [JOBS]))) == 20
    assert len(_drain(broker.source("g2", [JOBS]))) == 20


def test_recreated_source_resumes_from_commit() -> None:
    broker = _broker(partitions=2)
    _fill(broker, 40)
    first = broker.source("g", [JOBS])
    batch = first.poll(10, 0)
    first.commit(next_offsets(batch))
    first.close()
    second = _drain(broker.source("g", [JOBS]))
    assert len(second) == 30
    assert not {(r.partition, r.offset) for r in batch} & {(r.partition, r.offset) for r in second}


def test_uncommitted_records_are_redelivered() -> None:
    broker = _broker()
    _fill(broker, 10)
    first = broker.source("g", [JOBS])
    assert len(_drain(first)) == 10
    first.close()
    assert len(_drain(broker.source("g", [JOBS]))) == 10


def test_commit_after_rebalance_fails_until_next_poll() -> None:
    broker = _broker()
    _fill(broker, 10)
    a = broker.source("g", [JOBS])
    batch = a.poll(3, 0)
    broker.source("g", [JOBS])  # joins: rebalance
    with pytest.raises(CommitError, match="rebalanced"):
        a.commit(next_offsets(batch))
    a.poll(1, 0)
    a.commit(next_offsets(batch))
    assert broker.committed("g") == next_offsets(batch)


def test_members_restart_from_committed_offsets_after_rebalance() -> None:
    broker = _broker(partitions=1)
    _fill(broker, 6)
    a = broker.source("g", [JOBS])
    assert len(a.poll(4, 0)) == 4
    a.commit({(JOBS, 0): 2})
    b = broker.source("g", [JOBS])
    b.close()  # two rebalances; a keeps the only partition
    assert [r.offset for r in a.poll(10, 0)] == [2, 3, 4, 5]


def test_lag_is_end_minus_committed() -> None:
    broker = _broker(partitions=2)
    _fill(broker, 20)
    source = broker.source("g", [JOBS])
    source.poll(1, 0)
    source.commit({(JOBS, 0): 3})
    ends = broker.end_offsets(JOBS)
    assert broker.lag("g", [JOBS]) == {JOBS: {0: ends[0] - 3, 1: ends[1]}}


def test_topic_created_later_is_assigned_and_dead_letter_topic_is_not_a_rebalance() -> None:
    broker = MemoryBroker(default_partitions=2)
    source = broker.source("g", [JOBS])
    assert source.poll(10, 0) == []
    _fill(broker, 4)  # auto-creates jobs.v1 with 2 partitions
    records = source.poll(10, 0)
    assert len(records) == 4
    _fill(broker, 1, topic=DEADLETTER)  # not subscribed: no rebalance
    source.commit(next_offsets(records))


def test_poll_waits_for_a_producer_in_another_thread() -> None:
    broker = _broker()
    source = broker.source("g", [JOBS])
    threading.Timer(0.05, lambda: _fill(broker, 1)).start()
    start = time.monotonic()
    records = source.poll(10, 2000)
    assert len(records) == 1 and time.monotonic() - start < 1.5


def test_poll_times_out_empty() -> None:
    start = time.monotonic()
    assert _broker().source("g", [JOBS]).poll(10, 50) == []
    assert time.monotonic() - start >= 0.04


def test_closed_source_and_sink_refuse_work() -> None:
    broker = _broker()
    source, sink = broker.source("g", [JOBS]), broker.sink()
    source.close()
    source.close()  # idempotent
    sink.close()
    with pytest.raises(TopicsError):
        source.poll(1, 0)
    with pytest.raises(DeliveryError):
        sink.send(JOBS, b"k", b"v")


def test_ensure_topics_is_idempotent() -> None:
    broker = MemoryBroker()
    topics = [Topic(JOBS, 3), Topic(DEADLETTER, 1)]
    assert broker.ensure_topics(topics) == [JOBS, DEADLETTER]
    assert broker.ensure_topics(topics) == []
    assert broker.topics() == {JOBS: 3, DEADLETTER: 1}


def test_next_offsets_is_last_plus_one_per_partition() -> None:
    records = [RawRecord(JOBS, 0, 4, None, b"", 0), RawRecord(JOBS, 0, 5, None, b"", 0), RawRecord(JOBS, 1, 0, None, b"", 0)]
    assert next_offsets(records) == {(JOBS, 0): 6, (JOBS, 1): 1}


# --- dead letters and the on_error policy -------------------------------------------------
def _record(value: bytes | None, key: bytes | None = b"job-1") -> RawRecord:
    return RawRecord(JOBS, 1, 42, key, value, 1_700_000_000_000)


def test_dead_letter_keeps_position_reason_and_text() -> None:
    broker = MemoryBroker()
    dead_letter(broker.sink(), _record(b'{"op": "x"}'), "unknown op 'x'")
    [stored] = broker.records(DEADLETTER)
    letter = DeadLetter.model_validate_json(stored.value)
    assert stored.key == b"job-1"
    assert (letter.source_topic, letter.partition, letter.offset) == (JOBS, 1, 42)
    assert letter.value == '{"op": "x"}' and letter.value_encoding == "utf-8"
    assert letter.reason == "unknown op 'x'" and not letter.value_truncated


def test_dead_letter_base64_for_binary_and_truncates_large_values() -> None:
    broker = MemoryBroker()
    dead_letter(broker.sink(), _record(b"\xff\x00\x01", key=b"\xfe"), "not UTF-8")
    dead_letter(broker.sink(), _record(b"a" * (VALUE_CAP_BYTES + 10)), "too big")
    binary, big = (json.loads(r.value) for r in broker.records(DEADLETTER))
    assert binary["value_encoding"] == "base64" and base64.b64decode(binary["value"]) == b"\xff\x00\x01"
    assert binary["key_encoding"] == "base64"
    assert big["value_truncated"] and len(big["value"]) == VALUE_CAP_BYTES
    assert big["value_bytes"] == VALUE_CAP_BYTES + 10


def test_policy_dead_letter_sends_and_counts() -> None:
    broker = MemoryBroker()
    policy = ErrorPolicy("dead_letter", broker.sink())
    policy.handle(_record(b"{}"), InvalidEvent("missing id"))
    policy.handle(_record(b"{}"), ValueError("boom"))
    reasons = [json.loads(r.value)["reason"] for r in broker.records(DEADLETTER)]
    assert reasons == ["missing id", "ValueError: boom"]
    assert policy.counts["dead_letter"] == 2


def test_policy_skip_sends_nothing() -> None:
    broker = MemoryBroker()
    policy = ErrorPolicy("skip", broker.sink())
    policy.handle(_record(b"{}"), InvalidEvent("missing id"))
    assert broker.records(DEADLETTER) == [] and policy.counts["skip"] == 1


def test_policy_raise_reraises_the_error() -> None:
    error = InvalidEvent("missing id")
    with pytest.raises(InvalidEvent) as info:
        ErrorPolicy("raise").handle(_record(b"{}"), error)
    assert info.value is error


def test_policy_rejects_bad_configuration() -> None:
    with pytest.raises(ConfigError, match="needs a sink"):
        ErrorPolicy("dead_letter")
    with pytest.raises(ConfigError, match="'retry'"):
        ErrorPolicy("retry")  # type: ignore[arg-type]
