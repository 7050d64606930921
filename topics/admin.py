"""Topic administration on a Kafka-protocol broker: idempotent creation, consumer lag, status."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition as KafkaTopicPartition
from kafka.errors import KafkaError, TopicAlreadyExistsError

from semstream.config import Settings
from semstream.topics.exceptions import BrokerUnavailable
from semstream.topics.registry import Topic, all_topics, entity_topics

Lag = dict[str, dict[int, int]]
_HIGHWATER_WAIT_S = 5.0


@contextmanager
def admin_client(bootstrap: str, settings: Settings) -> Iterator[KafkaAdminClient]:
    """A KafkaAdminClient for ``bootstrap``; connection failures become :class:`BrokerUnavailable`."""
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap.split(","), client_id="semstream-admin", **settings.kafka_client_options()
        )
    except (KafkaError, OSError) as e:
        raise BrokerUnavailable(f"no Kafka broker answered at {bootstrap}: {e}") from e
    try:
        yield admin
    except (KafkaError, OSError) as e:
        raise BrokerUnavailable(f"admin request to {bootstrap} failed: {e}") from e
    finally:
        admin.close()


def ensure_topics(bootstrap: str, settings: Settings, topics: Iterable[Topic] | None = None) -> list[str]:
    """Create the topics that do not exist yet (default: all of semstream's); returns those created."""
    wanted = list(topics) if topics is not None else all_topics(settings)
    with admin_client(bootstrap, settings) as admin:
        existing = set(admin.list_topics())
        created = []
        for topic in (t for t in wanted if t.name not in existing):
            spec = {"num_partitions": topic.partitions, "replication_factor": settings.topic_replication_factor}
            try:
                admin.create_topics({topic.name: spec}, wait_for_metadata=True)
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # created concurrently by another process
        return created


def _partitions(admin: KafkaAdminClient, topics: list[str]) -> list[KafkaTopicPartition]:
    described = admin.describe_topics(topics)
    return [
        KafkaTopicPartition(t["name"], p["partition_index"])
        for t in described
        if t["error_code"] == 0
        for p in t["partitions"]
    ]


def end_offsets(bootstrap: str, settings: Settings, partitions: list[KafkaTopicPartition]) -> dict[KafkaTopicPartition, int]:
    """Offset of the next record to be written, per partition.

    Tansu 0.6 answers ListOffsets(latest) with the last *batch's* base offset + 1, so the
    broker's answer is checked against the high watermark of a fetch from that batch; the
    larger wins (on Kafka both agree).
    """
    if not partitions:
        return {}
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, **settings.kafka_client_options()
        )
    except KafkaError as e:
        raise BrokerUnavailable(f"no Kafka broker answered at {bootstrap}: {e}") from e
    try:
        reported = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, max(reported[tp] - 1, 0))
        deadline = time.monotonic() + _HIGHWATER_WAIT_S
        while any(consumer.highwater(tp) is None for tp in partitions) and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200, max_records=1)
        return {tp: max(reported[tp], consumer.highwater(tp) or 0) for tp in partitions}
    except KafkaError as e:
        raise BrokerUnavailable(f"cannot read end offsets from {bootstrap}: {e}") from e
    finally:
        consumer.close(autocommit=False)


def _committed(admin: KafkaAdminClient, group: str) -> dict[KafkaTopicPartition, int]:
    offsets = admin.list_group_offsets({group: None}).get(group, {})
    return {tp: om.offset for tp, om in offsets.items() if om.offset >= 0}


def topic_lag(bootstrap: str, group: str, settings: Settings, topics: Iterable[str] | None = None) -> Lag:
    """Per topic and partition: end offset minus ``group``'s committed offset (0 when none committed)."""
    names = list(topics) if topics is not None else entity_topics()
    with admin_client(bootstrap, settings) as admin:
        partitions = _partitions(admin, names)
        committed = _committed(admin, group)
    ends = end_offsets(bootstrap, settings, partitions)
    lag: Lag = {name: {} for name in names}
    for tp, end in sorted(ends.items()):
        lag[tp.topic][tp.partition] = max(0, end - committed.get(tp, 0))
    return lag


def describe(bootstrap: str, settings: Settings, group: str | None = None) -> dict[str, object]:
    """What ``semstream status`` prints: every topic's partitions and end offsets (``messages`` sums
    them: the record count while nothing was deleted by retention), plus the group's lag.

    ``{"bootstrap": str, "topics": {name: {"partitions": n, "messages": total, "end_offsets": {p: n}}},
    "group": name, "lag": {topic: {p: n}}, "total_lag": n}``
    """
    group = group or settings.consumer_group
    with admin_client(bootstrap, settings) as admin:
        names = sorted(n for n in admin.list_topics() if not n.startswith("__"))
        partitions = _partitions(admin, names)
    ends = end_offsets(bootstrap, settings, partitions)
    topics: dict[str, dict[str, object]] = {}
    for name in names:
        per = {tp.partition: off for tp, off in sorted(ends.items()) if tp.topic == name}
        topics[name] = {"partitions": len(per), "messages": sum(per.values()), "end_offsets": per}
    lag = topic_lag(bootstrap, group, settings, [n for n in entity_topics() if n in topics])
    total = sum(v for parts in lag.values() for v in parts.values())
    return {"bootstrap": bootstrap, "topics": topics, "group": group, "lag": lag, "total_lag": total}
