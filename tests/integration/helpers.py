"""Scenario helpers shared by the integration tests: events, their reference fold, producing, waiting.

A scenario mixes upserts, updates, deletes, duplicates, out-of-order replays and poison records.
``expected`` folds events the way the index must (newest version wins, a delete hides the entity),
so a test can compare the live index with it exactly.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semstream.config import Settings
from semstream.schemas import EntityKind

POISON: list[bytes] = [
    b"{broken",
    json.dumps({"op": "upsert", "version": 1}).encode(),
    json.dumps({"op": "explode", "id": "x", "version": 1}).encode(),
]


def job_event(i: int, version: int, op: str = "upsert") -> dict:
    event = {"op": op, "id": f"job-{i}", "version": version}
    if op == "upsert":
        event.update(title=f"Backend engineer {i} rev {version}", company=f"Company {i % 7}",
                     location="Berlin, Germany", remote="remote" if i % 2 else "onsite",
                     skills=["python", "kafka"], description="Build streaming systems. " * 5)
    return event


def scenario(n: int = 120, seed: int = 11, first_id: int = 0, base_version: int = 0) -> tuple[list[dict], list[bytes]]:
    """Events for ids ``first_id .. first_id + n - 1`` with versions above ``base_version``, shuffled."""
    rng = random.Random(seed)
    ids = range(first_id, first_id + n)
    v = base_version
    events = [job_event(i, v + k) for i in ids for k in (1, 2)]
    events += [job_event(i, v + 3, "delete") for i in ids[::6]]
    events += [job_event(i, v + 1) for i in ids[::6]]          # old upsert replayed after the delete
    events += [job_event(i, v + 2) for i in ids[1::9]]         # duplicates
    rng.shuffle(events)
    return events, list(POISON)


def expected(events: Iterable[dict]) -> dict[str, int]:
    """The reference fold: id -> version of every entity that must be live."""
    newest: dict[str, dict] = {}
    for e in events:
        if e["id"] not in newest or e["version"] > newest[e["id"]]["version"]:
            newest[e["id"]] = e
    return {i: e["version"] for i, e in newest.items() if e["op"] == "upsert"}


def produce(settings: Settings, events: list[dict], poison: Sequence[bytes] = ()) -> None:
    """Create the topics if needed and produce everything; raises DeliveryError if anything failed."""
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


@dataclass
class Delivery:
    """What a producer was told: events acknowledged, events reported undelivered, errors seen."""

    acked: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class BatchProducer:
    """Produces in small batches, flushing each; a DeliveryError marks that whole batch unacknowledged."""

    def __init__(self, settings: Settings, flush_timeout_s: float = 5.0) -> None:
        from semstream.actors.wiring import bootstrap_servers
        from semstream.topics.producer import KafkaEventSink

        self.sink = KafkaEventSink(bootstrap_servers(settings), settings)
        self.flush_timeout_s = flush_timeout_s
        self.delivery = Delivery()

    def send(self, events: Sequence[dict], batch: int = 20, pause_s: float = 0.0) -> Delivery:
        from semstream.topics.exceptions import DeliveryError
        from semstream.topics.registry import JOBS

        for start in range(0, len(events), batch):
            chunk = list(events[start:start + batch])
            try:
                for e in chunk:
                    self.sink.send(JOBS, e["id"].encode(), json.dumps(e).encode())
                self.sink.flush(self.flush_timeout_s)
                self.delivery.acked += chunk
            except DeliveryError as e:
                self.delivery.failed += chunk
                self.delivery.errors.append(str(e))
            time.sleep(pause_s)
        return self.delivery

    def close(self) -> None:
        from semstream.topics.exceptions import DeliveryError

        try:
            self.sink.close(2.0)
        except DeliveryError:
            pass  # nothing pending is acknowledged any more; already reported by send


def dead_letters(settings: Settings, expected_count: int, timeout_s: float = 30) -> list[dict]:
    """Dead letters on the dead-letter topic, one per source offset (a redelivered batch may repeat one)."""
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
    return list({(d["source_topic"], d["partition"], d["offset"]): d for d in letters}.values())


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.25) -> float:
    """Poll ``condition`` until true; returns the seconds it took, fails the test after ``timeout_s``."""
    started = time.time()
    while not condition():
        if time.time() - started > timeout_s:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(every_s)
    return time.time() - started


def indexed(store, ids: Iterable[str]) -> dict[str, int]:
    """id -> version of the live entities among ``ids`` (a resurrected one shows up here too)."""
    return {h.id: h.version for h in store.get(EntityKind.JOB, list(ids))}


def job_ids(first: int, last: int) -> list[str]:
    return [f"job-{i}" for i in range(first, last)]


def consumed(pool) -> int:
    return sum(s.get("consumed", 0) for s in pool.stats())


def report(what: str, seconds: float) -> None:
    """Recovery figures go to the test output (run pytest with -s to see them)."""
    print(f"\n[recovery] {what}: {seconds:.1f} s")


def data_dir_with_ranker(home: Path, tmp_path_factory: Any) -> Path:
    """A fresh data dir (empty index) that serves the tiny ranker of ``home``."""
    data_dir = tmp_path_factory.mktemp("serve-data")
    (data_dir / "models").symlink_to(home / "models", target_is_directory=True)
    return data_dir
