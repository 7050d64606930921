"""KafkaEventSource: a consumer-group member on a real Kafka-protocol broker (kafka-python)."""

from __future__ import annotations

import logging
import time
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
# Ends of partitions not fetched from yet come from a ListOffsets request: bounded, and at most
# this often, so lag() never holds up the poll loop for long.
LIST_ENDS_EVERY_S = 5.0
LIST_ENDS_TIMEOUT_MS = 500


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
        self._listed_ends: dict[KafkaTopicPartition, int] = {}
        self._listed_at = float("-inf")
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

    def lag(self) -> dict[TopicPartition, int]:
        """Per assigned partition: the partition's end offset minus this member's position.

        The end is the high watermark of the partition's last fetch response (no request). A
        partition not fetched from since it was assigned asks the broker instead (ListOffsets,
        at most every ``LIST_ENDS_EVERY_S``); Tansu answers that with the last batch's base
        offset + 1 (see ``admin.end_offsets``), so until the first fetch the figure may be low,
        never negative. Partitions whose position or end is still unknown are left out.
        """
        positions = {tp: self._position(tp) for tp in self._consumer.assignment()}
        known = {tp: pos for tp, pos in positions.items() if pos is not None}
        ends = self._ends(list(known))
        return {(tp.topic, tp.partition): max(0, ends[tp] - pos) for tp, pos in known.items() if tp in ends}

    def _ends(self, partitions: list[KafkaTopicPartition]) -> dict[KafkaTopicPartition, int]:
        ends: dict[KafkaTopicPartition, int | None] = {tp: self._highwater(tp) for tp in partitions}
        missing = [tp for tp, end in ends.items() if end is None]
        if missing:
            ends.update(self._list_ends(missing))
        return {tp: end for tp, end in ends.items() if end is not None}

    def _highwater(self, tp: KafkaTopicPartition) -> int | None:
        """The end offset seen in the partition's last fetch response; None before one (or once revoked)."""
        try:
            return self._consumer.highwater(tp)
        except KafkaError:
            return None

    def _list_ends(self, partitions: list[KafkaTopicPartition]) -> dict[KafkaTopicPartition, int]:
        """End offsets from the broker, refreshed at most every ``LIST_ENDS_EVERY_S``; {} when it does not answer."""
        if time.monotonic() - self._listed_at >= LIST_ENDS_EVERY_S:
            self._listed_at = time.monotonic()
            try:
                self._listed_ends = dict(self._consumer.end_offsets(partitions, timeout_ms=LIST_ENDS_TIMEOUT_MS))
            except (ValueError, KafkaError) as e:
                log.debug("end offsets of %s not listed: %s", partitions, e)
                self._listed_ends = {}
        return {tp: self._listed_ends[tp] for tp in partitions if tp in self._listed_ends}

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
