"""Consumer lag: the in-memory twin, KafkaEventSource over a stand-in kafka-python consumer, and
the worker reporting it to its observer after each poll."""

from __future__ import annotations

import json

import pytest
from kafka import TopicPartition as KTP
from kafka.errors import IllegalStateError, KafkaTimeoutError

import semstream.topics.consumer as consumer_module
from semstream.actors.metrics import IngestInstruments, RayIngestMetrics
from semstream.actors.observer import BatchOutcome
from semstream.actors.retry import Backoff
from semstream.actors.worker import IngestWorker, WorkerOptions
from semstream.config import load_settings
from semstream.models.embedder import HashEmbedder
from semstream.schemas import EntityKind
from semstream.store.memory import MemoryStore
from semstream.topics.consumer import KafkaEventSource
from semstream.topics.errors import ErrorPolicy
from semstream.topics.memory import MemoryBroker
from semstream.topics.registry import DEADLETTER, JOBS

LAG = "lag"


def _broker(partitions: int) -> MemoryBroker:
    broker = MemoryBroker()
    broker.create_topic(JOBS, partitions)
    broker.create_topic(DEADLETTER, 1)
    return broker


def _produce_jobs(broker: MemoryBroker, n: int, first: int = 0) -> None:
    sink = broker.sink()
    for i in range(first, first + n):
        event = {"op": "upsert", "id": f"j{i}", "version": 1, "title": f"engineer {i}"}
        sink.send(JOBS, f"j{i}".encode(), json.dumps(event).encode())


# --- the in-memory twin ------------------------------------------------------------------


def test_memory_lag_is_end_minus_position_per_assigned_partition() -> None:
    broker = _broker(1)
    _produce_jobs(broker, 10)
    source = broker.source("g", [JOBS])
    assert source.lag() == {}  # nothing assigned before the first poll
    assert len(source.poll(4, 0)) == 4
    assert source.lag() == {(JOBS, 0): 6}
    _produce_jobs(broker, 3, first=10)
    assert source.lag() == {(JOBS, 0): 9}
    while source.poll(100, 0):
        pass
    assert source.lag() == {(JOBS, 0): 0}
    source.close()
    assert source.lag() == {}


def test_memory_lag_drops_a_revoked_partition_and_its_new_owner_starts_from_the_commit() -> None:
    broker = _broker(2)
    _produce_jobs(broker, 20)
    ends = broker.end_offsets(JOBS)
    assert ends[0] >= 4 and ends[1] >= 1, ends
    first = broker.source("g", [JOBS])
    taken = first.poll(3, 0)
    assert len(taken) == 3 and {r.partition for r in taken} == {0}
    assert first.lag() == {(JOBS, 0): ends[0] - 3, (JOBS, 1): ends[1]}
    first.commit({(JOBS, 0): 3})
    second = broker.source("g", [JOBS])  # rebalance: the second member takes partition 1
    first.poll(1, 0)
    second.poll(1, 0)
    assert set(first.lag()) == {(JOBS, 0)}
    assert first.lag()[(JOBS, 0)] == ends[0] - 3 - 1  # restarted at the commit (3), read one more
    assert second.lag() == {(JOBS, 1): ends[1] - 1}


# --- KafkaEventSource over a stand-in consumer (the layer below) ---------------------------


class FakeKafkaConsumer:
    """Just the kafka-python calls lag() makes."""

    def __init__(self, **options: object) -> None:
        self.positions: dict[KTP, int | None] = {}
        self.highwaters: dict[KTP, int] = {}
        self.listed: dict[KTP, int] = {}
        self.list_calls: list[tuple[list[KTP], int | None]] = []
        self.listing_fails = False
        self.revoked: set[KTP] = set()  # still listed by assignment(), gone by the next call

    def subscribe(self, topics: list[str]) -> None:
        pass

    def assignment(self) -> set[KTP]:
        return set(self.positions)

    def position(self, tp: KTP, timeout_ms: int | None = None) -> int | None:
        if tp not in self.positions:
            raise IllegalStateError("Partition is not assigned")
        return self.positions[tp]

    def highwater(self, tp: KTP) -> int | None:
        if tp in self.revoked:
            raise IllegalStateError("Partition is not assigned")
        return self.highwaters.get(tp)

    def end_offsets(self, partitions: list[KTP], timeout_ms: int | None = None) -> dict[KTP, int]:
        self.list_calls.append((list(partitions), timeout_ms))
        if self.listing_fails:
            raise KafkaTimeoutError("no answer")
        return {tp: self.listed[tp] for tp in partitions}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path) -> tuple[KafkaEventSource, FakeKafkaConsumer]:
    made: list[FakeKafkaConsumer] = []

    def factory(**options: object) -> FakeKafkaConsumer:
        made.append(FakeKafkaConsumer(**options))
        return made[-1]

    monkeypatch.setattr(consumer_module, "KafkaConsumer", factory)
    source = KafkaEventSource("127.0.0.1:1", load_settings(data_dir=tmp_path), [JOBS], group="g")
    return source, made[0]


def test_kafka_lag_uses_the_fetched_high_watermark_without_asking_the_broker(fake) -> None:
    source, consumer = fake
    consumer.positions = {KTP(JOBS, 0): 4, KTP(JOBS, 1): 7}
    consumer.highwaters = {KTP(JOBS, 0): 10, KTP(JOBS, 1): 7}
    assert source.lag() == {(JOBS, 0): 6, (JOBS, 1): 0}
    assert consumer.list_calls == []


def test_kafka_lag_lists_ends_of_unfetched_partitions_bounded_and_throttled(fake, monkeypatch) -> None:
    source, consumer = fake
    a, b = KTP(JOBS, 0), KTP(JOBS, 1)
    consumer.positions = {a: 4, b: 5}
    consumer.highwaters = {a: 10}
    consumer.listed = {b: 3}  # Tansu's low ListOffsets answer: never a negative lag
    assert source.lag() == {(JOBS, 0): 6, (JOBS, 1): 0}
    assert consumer.list_calls == [([b], consumer_module.LIST_ENDS_TIMEOUT_MS)]
    consumer.listed = {b: 9}
    assert source.lag()[(JOBS, 1)] == 0  # within LIST_ENDS_EVERY_S: the last listing is reused
    assert len(consumer.list_calls) == 1
    monkeypatch.setattr(consumer_module, "LIST_ENDS_EVERY_S", 0.0)
    assert source.lag()[(JOBS, 1)] == 4
    assert len(consumer.list_calls) == 2


def test_kafka_lag_leaves_out_unknown_positions_and_unanswered_ends(fake, monkeypatch) -> None:
    source, consumer = fake
    monkeypatch.setattr(consumer_module, "LIST_ENDS_EVERY_S", 0.0)
    consumer.positions = {KTP(JOBS, 0): None, KTP(JOBS, 1): 2, KTP(JOBS, 2): 1}
    consumer.highwaters = {KTP(JOBS, 0): 10, KTP(JOBS, 2): 5}
    consumer.listing_fails = True
    assert source.lag() == {(JOBS, 2): 4}
    assert [tps for tps, _ in consumer.list_calls] == [[KTP(JOBS, 1)]]
    consumer.revoked = {KTP(JOBS, 2)}
    assert source.lag() == {}


# --- the worker reports lag to its observer ----------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.seen: list[BatchOutcome] = []

    def observe(self, outcome: BatchOutcome) -> None:
        self.seen.append(outcome)


def _worker(broker: MemoryBroker, observer: object, max_records: int = 4) -> IngestWorker:
    policy = ErrorPolicy("dead_letter", broker.sink())
    options = WorkerOptions(max_records=max_records, poll_ms=0)
    return IngestWorker(broker.source("g", [JOBS]), MemoryStore(), HashEmbedder(), policy, {JOBS: EntityKind.JOB},
                        options, backoff=Backoff(attempts=2, first_delay_s=0.0), observer=observer)


def test_worker_reports_lag_after_each_batch_and_after_idle_polls_only_when_it_moved() -> None:
    broker = _broker(1)
    _produce_jobs(broker, 10)
    recorder = Recorder()
    worker = _worker(broker, recorder)
    assert worker.step() == 4
    assert recorder.seen[-1].lag == {(JOBS, 0): 6}
    assert recorder.seen[-1].outcomes[(JOBS, "written")] == 4
    while worker.step():
        pass
    assert [o.lag for o in recorder.seen] == [{(JOBS, 0): 6}, {(JOBS, 0): 2}, {(JOBS, 0): 0}]
    for _ in range(3):
        worker.step()  # idle, lag unchanged: nothing new to report
    assert len(recorder.seen) == 3
    broker.source("g", [JOBS])  # a second member joins; the single partition stays with the first
    worker.step()
    assert len(recorder.seen) == 3  # still {jobs: 0}: no report


def test_worker_reports_an_idle_lag_change_after_a_rebalance() -> None:
    broker = _broker(2)
    _produce_jobs(broker, 20)
    recorder = Recorder()
    worker = _worker(broker, recorder, max_records=50)
    while worker.step():
        pass
    assert recorder.seen[-1].lag == {(JOBS, 0): 0, (JOBS, 1): 0}
    before = len(recorder.seen)
    broker.source("g", [JOBS])  # takes partition 1
    assert worker.step() == 0
    assert len(recorder.seen) == before + 1
    idle = recorder.seen[-1]
    assert idle.lag == {(JOBS, 0): 0} and not idle.outcomes and not idle.freshness


class FakeGauge:
    def __init__(self) -> None:
        self.history: list[tuple[dict[str, str], float]] = []

    def set(self, value: float, tags: dict[str, str] | None = None) -> None:
        assert tags is not None and all(isinstance(v, str) for v in tags.values()), tags
        self.history.append((dict(tags), value))

    def last(self, **tags: str) -> float | None:
        values = [v for t, v in self.history if t == tags]
        return values[-1] if values else None


class Ignore:
    def inc(self, value: float = 1.0, tags: dict[str, str] | None = None) -> None:
        pass

    def observe(self, value: float, tags: dict[str, str] | None = None) -> None:
        pass


def test_worker_drives_the_lag_gauge_and_zeroes_a_revoked_partition() -> None:
    broker = _broker(2)
    _produce_jobs(broker, 20)
    ends = broker.end_offsets(JOBS)
    assert ends[0] >= 6 and ends[1] >= 1, ends
    gauge = FakeGauge()
    metrics = RayIngestMetrics(instruments=IngestInstruments(Ignore(), Ignore(), Ignore(), FakeGauge(), gauge))
    worker = _worker(broker, metrics, max_records=3)
    assert worker.step() == 3
    assert gauge.last(topic=JOBS, partition="0") == ends[0] - 3
    assert gauge.last(topic=JOBS, partition="1") == ends[1] > 0
    broker.source("g", [JOBS])  # rebalance: partition 1 goes to the new member
    worker.step()
    assert gauge.last(topic=JOBS, partition="1") == 0
    assert gauge.last(topic=JOBS, partition="0") == ends[0] - 6
