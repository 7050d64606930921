"""KafkaEventSource: a consumer-group member on a real Kafka-protocol broker (kafka-python)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition as KafkaTopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from semstream.config import Settings, get_settings
from semstream.topics.exceptions import BrokerUnavailable, CommitError, TopicsError
from semstream.topics.protocol import RawRecord, TopicPartition

log = logging.getLogger(__name__)

# A first group join takes ~3 s with these instead of ~23 s with kafka-python's defaults.
# max_poll_interval_ms (how long one batch may take before the member is dropped) comes from
# settings: a slow embed batch on a loaded machine must not cost the member its partitions.
GROUP_TIMEOUTS: dict[str, int] = {
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
}


class KafkaEventSource:
    """Reads ``topics`` as a member of ``group`` (default ``settings.consumer_group``; None settings = the process's).

    Manual commits only; a group without committed offsets starts at the earliest record.
    A partition whose log the broker lost (position past its end: a broker restarted without its
    data, a topic recreated) is read again from its start; ``log_resets`` counts those rewinds.
    """

    def __init__(
        self,
        bootstrap: str,
        settings: Settings | None,
        topics: Iterable[str],
        *,
        group: str | None = None,
        client_id: str = "semstream-consumer",
        **overrides: object,
    ) -> None:
        s = settings or get_settings()
        self.group = group or s.consumer_group
        self.topics = list(topics)
        self.log_resets = 0
        options: dict[str, object] = {
            "bootstrap_servers": bootstrap.split(","),
            "group_id": self.group,
            "client_id": client_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            **GROUP_TIMEOUTS,
            "max_poll_interval_ms": s.kafka_max_poll_interval_ms,
            **s.kafka_client_options(),
            **overrides,
        }
        try:
            self._consumer = KafkaConsumer(**options)
            self._consumer.subscribe(self.topics)
        except KafkaError as e:
            raise BrokerUnavailable(f"cannot consume {self.topics} from {bootstrap}: {e}") from e

    def poll(self, max_records: int, timeout_ms: int) -> list[RawRecord]:
        try:
            batches = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
            self._rewind_lost_logs()
        except KafkaError as e:
            raise TopicsError(f"poll failed for group {self.group!r}: {e}") from e
        return [
            RawRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)
            for records in batches.values()
            for r in records
        ]

    def _rewind_lost_logs(self) -> None:
        """Seek to the start of partitions whose position is past the broker's end of log.

        Without this the member would wait until the new log grew past its old position and
        then silently skip every record before it.
        """
        for tp in list(self._consumer.assignment()):
            end = self._consumer.highwater(tp)
            position = self._position(tp) if end is not None else None
            if end is None or position is None or position <= end:
                continue
            log.warning("%s[%d]: position %d is past the end of the log (%d); the broker lost it, "
                        "reading from the start", tp.topic, tp.partition, position, end)
            try:
                self._consumer.seek_to_beginning(tp)
                self.log_resets += 1
            except (ValueError, KafkaError) as e:  # revoked meanwhile: its next owner checks it
                log.warning("%s[%d]: not rewound: %s", tp.topic, tp.partition, e)

    def _position(self, tp: KafkaTopicPartition) -> int | None:
        """The fetch position, or None while it is still being looked up (or the partition was revoked)."""
        try:
            return self._consumer.position(tp, timeout_ms=0)
        except (ValueError, KafkaError):
            return None

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
        kafka_offsets = {
            KafkaTopicPartition(t, p): OffsetAndMetadata(offset, "", -1) for (t, p), offset in offsets.items()
        }
        try:
            self._consumer.commit(kafka_offsets)
        except KafkaError as e:
            raise CommitError(f"commit of {offsets} for group {self.group!r} failed: {e}") from e

    @property
    def assignment(self) -> list[TopicPartition]:
        """The partitions this member currently owns."""
        return sorted((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def close(self) -> None:
        self._consumer.close(autocommit=False)
