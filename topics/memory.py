"""In-memory twin of the Kafka broker: topics, key-hash partitioning, consumer groups, commits.

Semantics kept from Kafka (so code tested here behaves the same against a real cluster):

* a record's partition is ``murmur2(key) % partitions`` (Kafka's default partitioner); keyless
  records go round-robin;
* a group's members split the partitions of the topics they subscribe to; any join, leave or
  creation of a subscribed topic is a rebalance: every member restarts from the group's
  committed offsets (earliest when none) at its next poll, and a commit made before that poll
  raises :class:`CommitError`, as Kafka's ``CommitFailedError`` does;
* a source that is closed and recreated in the same group resumes from the committed offsets.

Thread-safe; ``poll`` waits on a condition, so producers in other threads wake it up.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from threading import Condition

from kafka.partitioner.default import murmur2

from semstream.topics.exceptions import CommitError, DeliveryError, TopicsError
from semstream.topics.protocol import RawRecord, TopicPartition
from semstream.topics.registry import Topic


@dataclass
class _Group:
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    members: dict[int, list[str]] = field(default_factory=dict)  # member id -> topics, in join order
    generation: int = 0


class MemoryBroker:
    """Topics -> partitions -> record lists, plus consumer groups. ``default_partitions`` applies to auto-created topics."""

    def __init__(self, default_partitions: int = 1) -> None:
        self.default_partitions = default_partitions
        self._cond = Condition()
        self._logs: dict[str, list[list[RawRecord]]] = {}
        self._groups: dict[str, _Group] = {}
        self._member_ids = itertools.count(1)
        self._round_robin = itertools.count()

    # --- topics ---------------------------------------------------------------------
    def create_topic(self, name: str, partitions: int) -> bool:
        """Create ``name`` with ``partitions`` partitions; False if it already existed (idempotent)."""
        if partitions < 1:
            raise ValueError(f"partitions must be >= 1, got {partitions}")
        with self._cond:
            if name in self._logs:
                return False
            self._logs[name] = [[] for _ in range(partitions)]
            for group in self._groups.values():
                if any(name in topics for topics in group.members.values()):
                    group.generation += 1
            return True

    def ensure_topics(self, topics: Iterable[Topic]) -> list[str]:
        """Create the missing ones; returns the names created."""
        return [t.name for t in topics if self.create_topic(t.name, t.partitions)]

    def topics(self) -> dict[str, int]:
        """Topic name -> partition count."""
        with self._cond:
            return {name: len(parts) for name, parts in self._logs.items()}

    def records(self, topic: str) -> list[RawRecord]:
        """Every record of ``topic``, partition by partition, in offset order."""
        with self._cond:
            return [r for part in self._logs.get(topic, []) for r in part]

    def end_offsets(self, topic: str) -> dict[int, int]:
        with self._cond:
            return {p: len(part) for p, part in enumerate(self._logs.get(topic, []))}

    # --- groups ---------------------------------------------------------------------
    def committed(self, group: str) -> dict[TopicPartition, int]:
        with self._cond:
            return dict(self._group(group).committed)

    def lag(self, group: str, topics: Iterable[str] | None = None) -> dict[str, dict[int, int]]:
        """Per topic and partition: end offset minus the group's committed offset (0 when none)."""
        with self._cond:
            names = list(topics) if topics is not None else list(self._logs)
            committed = self._group(group).committed
            return {
                t: {p: len(part) - committed.get((t, p), 0) for p, part in enumerate(self._logs.get(t, []))}
                for t in names
            }

    def source(self, group: str, topics: Iterable[str]) -> MemorySource:
        """A new member of ``group`` subscribed to ``topics`` (joins immediately)."""
        return MemorySource(self, group, list(topics))

    def sink(self) -> MemorySink:
        return MemorySink(self)

    # --- used by sources and sinks ----------------------------------------------------
    def _group(self, name: str) -> _Group:
        return self._groups.setdefault(name, _Group())

    def _join(self, group: str, topics: list[str]) -> int:
        with self._cond:
            member = next(self._member_ids)
            g = self._group(group)
            g.members[member] = topics
            g.generation += 1
            return member

    def _leave(self, group: str, member: int) -> None:
        with self._cond:
            g = self._group(group)
            if g.members.pop(member, None) is not None:
                g.generation += 1

    def _assignment(self, group: str, member: int) -> list[TopicPartition]:
        """Round-robin of each subscribed topic's partitions over the members subscribed to it."""
        g = self._group(group)
        mine: list[TopicPartition] = []
        for topic in sorted({t for ts in g.members.values() for t in ts}):
            peers = [m for m, ts in g.members.items() if topic in ts]
            for p in range(len(self._logs.get(topic, []))):
                if peers[p % len(peers)] == member:
                    mine.append((topic, p))
        return mine

    def _append(self, topic: str, key: bytes | None, value: bytes) -> RawRecord:
        with self._cond:
            if topic not in self._logs:
                self.create_topic(topic, self.default_partitions)
            parts = self._logs[topic]
            p = self._partition_for(key, len(parts))
            record = RawRecord(topic, p, len(parts[p]), key, value, int(time.time() * 1000))
            parts[p].append(record)
            self._cond.notify_all()
            return record

    def _partition_for(self, key: bytes | None, partitions: int) -> int:
        if key is None:
            return next(self._round_robin) % partitions
        return (murmur2(key) & 0x7FFFFFFF) % partitions


class MemorySource:
    """One consumer-group member of a :class:`MemoryBroker`; see the module doc for semantics."""

    def __init__(self, broker: MemoryBroker, group: str, topics: list[str]) -> None:
        self._broker, self.group, self.topics = broker, group, topics
        self._member: int | None = broker._join(group, topics)
        self._generation = -1
        self._positions: dict[TopicPartition, int] = {}
        self._next_partition = 0

    @property
    def assignment(self) -> list[TopicPartition]:
        """The partitions this member owns as of its last poll."""
        return list(self._positions)

    def poll(self, max_records: int, timeout_ms: int) -> list[RawRecord]:
        deadline = time.monotonic() + timeout_ms / 1000
        with self._broker._cond:
            while True:
                self._sync()
                records = self._take(max_records)
                remaining = deadline - time.monotonic()
                if records or remaining <= 0:
                    return records
                self._broker._cond.wait(remaining)

    def lag(self) -> dict[TopicPartition, int]:
        """Records after this member's position in each partition it owned at its last poll."""
        with self._broker._cond:
            if self._member is None:
                return {}
            logs = self._broker._logs
            return {tp: len(logs[tp[0]][tp[1]]) - position for tp, position in self._positions.items()}

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        with self._broker._cond:
            member = self._require_open()
            group = self._broker._group(self.group)
            if group.generation != self._generation:
                raise CommitError(f"group {self.group!r} rebalanced since member {member}'s last poll; poll again")
            for tp, offset in offsets.items():
                if offset < 0:
                    raise CommitError(f"cannot commit negative offset {offset} for {tp}")
                group.committed[tp] = offset

    def close(self) -> None:
        if self._member is not None:
            self._broker._leave(self.group, self._member)
            self._member = None

    def _require_open(self) -> int:
        if self._member is None:
            raise TopicsError(f"source of group {self.group!r} is closed")
        return self._member

    def _sync(self) -> None:
        """After a rebalance: take the new assignment and restart from the committed offsets."""
        member = self._require_open()
        group = self._broker._group(self.group)
        if group.generation == self._generation:
            return
        self._generation = group.generation
        self._positions = {tp: group.committed.get(tp, 0) for tp in self._broker._assignment(self.group, member)}

    def _take(self, max_records: int) -> list[RawRecord]:
        out: list[RawRecord] = []
        tps = list(self._positions)
        for i in range(len(tps)):
            tp = tps[(self._next_partition + i) % len(tps)]
            log = self._broker._logs[tp[0]][tp[1]]
            batch = log[self._positions[tp] : self._positions[tp] + max_records - len(out)]
            self._positions[tp] += len(batch)
            out.extend(batch)
            if len(out) >= max_records:
                break
        self._next_partition += 1
        return out


class MemorySink:
    """Producer twin: ``send`` appends at once; ``flush`` has nothing to wait for."""

    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker
        self._closed = False
        self.sent = 0

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        if self._closed:
            raise DeliveryError(f"sink is closed; cannot send to {topic!r}")
        self._broker._append(topic, key, value)
        self.sent += 1

    def flush(self, timeout_s: float = 10.0) -> None:
        if self._closed:
            raise DeliveryError("sink is closed")

    def close(self) -> None:
        self._closed = True
