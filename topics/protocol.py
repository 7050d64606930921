"""The broker seen by the rest of semstream: a source of raw records and a sink for new ones.

Real implementations: :mod:`semstream.topics.consumer` / :mod:`semstream.topics.producer`
(kafka-python). In-memory twin: :mod:`semstream.topics.memory`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

TopicPartition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read from a topic, undecoded."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


@runtime_checkable
class EventSource(Protocol):
    """A consumer-group member reading some topics."""

    def poll(self, max_records: int, timeout_ms: int) -> list[RawRecord]:
        """Up to ``max_records`` records, waiting at most ``timeout_ms`` when none are ready."""
        ...

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit, per (topic, partition), the offset of the NEXT record to read.

        Synchronous; raises :class:`~semstream.topics.exceptions.CommitError` on failure
        (e.g. the group rebalanced since the last poll).
        """
        ...

    def lag(self) -> dict[TopicPartition, int]:
        """Per partition assigned as of the last poll: end offset minus this member's position.

        Cheap (no broker round trip in the steady state), never negative; a partition whose
        position or end is not known yet is left out, as is everything once the member has no
        partitions (closed, or revoked by a rebalance).
        """
        ...

    def close(self) -> None:
        """Leave the group; uncommitted progress is re-delivered to whoever takes the partitions."""
        ...


@runtime_checkable
class EventSink(Protocol):
    """A producer."""

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Queue one record; partitioned by key hash like Kafka's default partitioner."""
        ...

    def flush(self, timeout_s: float) -> None:
        """Wait until everything queued is acknowledged; raises DeliveryError if any record failed."""
        ...

    def close(self) -> None:
        """Flush what is pending and release the connection."""
        ...


def next_offsets(records: list[RawRecord]) -> dict[TopicPartition, int]:
    """The offsets to commit after processing ``records``: last offset + 1 per partition."""
    out: dict[TopicPartition, int] = {}
    for r in records:
        tp = (r.topic, r.partition)
        out[tp] = max(out.get(tp, 0), r.offset + 1)
    return out
