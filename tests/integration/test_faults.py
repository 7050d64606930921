"""Faults on the ingest path with real parts: an actor killed mid-batch, the store gone for a
while, the broker restarted. Each test checks that nothing acknowledged is lost, nothing is
duplicated or resurrected (the index equals the reference fold) and reports how long recovery took.
"""

from __future__ import annotations

import fcntl
import time

import pytest
from helpers import BatchProducer, dead_letters, expected, indexed, job_event, job_ids, produce, report, scenario, \
    wait_for

from semstream.schemas import EntityKind

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _converged(store, pool, ids: list[str], want: dict[str, int]):
    """A wait condition that also supervises the pool, as ``Stack.supervise`` does."""
    def check() -> bool:
        pool.check()
        return indexed(store, ids) == want
    return check


def _kill_mid_batch(pool) -> tuple[int, int]:
    """Kill the first member seen holding polled-but-uncommitted records; returns (index, records)."""
    import ray

    deadline = time.time() + 120
    while time.time() < deadline:
        for index, actor in list(pool.actors.items()):
            try:
                in_flight = ray.get(actor.stats.remote(), timeout=5).get("in_flight", 0)
            except ray.exceptions.GetTimeoutError:
                continue  # still starting (loading the embedder)
            if in_flight:
                ray.kill(actor)
                return index, in_flight
        time.sleep(0.02)
    raise AssertionError("no ingest actor was seen mid-batch")


def test_actor_killed_mid_batch_loses_nothing(stack_settings, index_owner):
    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.pool import IngestPool

    settings = stack_settings.model_copy(update={"ingest_batch_size": 48})  # long batches: a wide window
    events, poison = scenario(n=40, seed=5)
    want = expected(events)
    store = ActorStoreClient(index_owner)
    pool = IngestPool(settings, size=2)
    pool.start()
    try:
        produce(settings, events, poison)
        victim, in_flight = _kill_mid_batch(pool)
        killed_at = time.time()
        wait_for(lambda: victim in pool.check() or pool.restarts > 0, 30, "the pool to restart the member")
        restarted_s = time.time() - killed_at
        wait_for(_converged(store, pool, job_ids(0, 40), want), 180, "the index to converge")
        converged_s = time.time() - killed_at
    finally:
        pool.stop()
    report(f"member {victim} killed holding {in_flight} uncommitted records: restarted after", restarted_s)
    report("killed mid-batch: index converged after", converged_s)
    assert in_flight > 0 and pool.restarts >= 1
    assert store.count(EntityKind.JOB) == len(want)
    letters = dead_letters(settings, len(poison))
    assert sorted(letter["value"] for letter in letters) == sorted(p.decode() for p in poison)
    assert converged_s < 180


class _HeldLock:
    """Holds the embedded store's directory lock, so no index owner can open the shards."""

    def __init__(self, settings) -> None:
        from semstream.store.edge import LOCK_FILE
        from semstream.store.factory import EDGE_SUBDIR

        self.path = settings.data_dir / EDGE_SUBDIR / LOCK_FILE
        self._file = None

    def acquire(self, timeout_s: float = 30) -> None:
        self._file = open(self.path, "a+")  # noqa: SIM115 - held until release()
        deadline = time.time() + timeout_s
        while True:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)  # the killed owner's process is still exiting

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _committed_lag(settings) -> int:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.admin import topic_lag
    from semstream.topics.registry import JOBS

    lag = topic_lag(bootstrap_servers(settings), settings.consumer_group, settings, [JOBS])
    return sum(lag[JOBS].values())


def test_store_outage_backs_off_commits_nothing_then_converges(stack_settings, index_owner):
    import ray

    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.pool import IngestPool

    before, _ = scenario(n=30, seed=1)
    during, _ = scenario(n=30, seed=2, first_id=20, base_version=10)   # overlaps: updates and new ids
    want = expected(before + during)
    ids = job_ids(0, 50)
    pool = IngestPool(stack_settings, size=1)
    pool.start()
    held = _HeldLock(stack_settings)
    try:
        produce(stack_settings, before)
        wait_for(_converged(ActorStoreClient(index_owner), pool, ids, expected(before)), 120, "the first batch")
        ray.kill(index_owner)          # the owner dies for good ...
        killed_at = time.time()
        held.acquire()                 # ... and no new one can open the shards until released
        produce(stack_settings, during)
        wait_for(lambda: pool.stats()[0].get("retries", 0) >= 2, 30, "ingest to back off")
        time.sleep(3)
        lag_during = _committed_lag(stack_settings)
        released_at = time.time()
        held.release()
        store = ActorStoreClient.for_settings(stack_settings)
        recovered_s = wait_for(_converged(store, pool, ids, want), 120, "the index to converge after the outage")
        stats = pool.stats()[0]
    finally:
        held.release()
        pool.stop()
    report(f"store down {released_at - killed_at:.1f} s ({stats['retries']} retries); back: index converged after",
           recovered_s)
    assert lag_during == len(during), "offsets were committed while the store was down"
    assert stats["retries"] >= 2 and pool.restarts == 0
    assert store.count(EntityKind.JOB) == len(want)
    assert _committed_lag(stack_settings) == 0


def _broker_cycle_events() -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Before the restart, during the outage, just before it (maybe lost), after the restart."""
    before, _ = scenario(n=30, seed=3)
    during = [job_event(i, 10) for i in range(30)]
    unconsumed = [job_event(i, 1) for i in range(200, 210)]
    after = [job_event(i, 11, "delete" if i % 5 == 0 else "upsert") for i in range(30)]
    after += [job_event(i, 1) for i in range(300, 320)]
    return before, during, unconsumed, after


def test_broker_restart_reports_what_it_lost_and_ingest_carries_on(broker, stack_settings, index_owner):
    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.pool import IngestPool
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.admin import ensure_topics

    before, during, unconsumed, after = _broker_cycle_events()
    store = ActorStoreClient(index_owner)
    pool = IngestPool(stack_settings, size=1)
    pool.start()
    producer = BatchProducer(stack_settings, flush_timeout_s=3.0)
    try:
        produce(stack_settings, before)
        wait_for(_converged(store, pool, job_ids(0, 30), expected(before)), 120, "the events before the restart")
        assert not producer.send(unconsumed, batch=10).failed
        broker.stop()
        lost = producer.send(during, batch=len(during))  # broker down: the flush must fail
        broker.start()
        ensure_topics(bootstrap_servers(stack_settings), stack_settings)
        late = BatchProducer(stack_settings, flush_timeout_s=10.0)
        pending = list(after)
        for _ in range(3):                                # the application retries what was not acknowledged
            late.delivery.failed = []
            pending = list(late.send(pending, batch=10).failed)
            if not pending:
                break
        assert not pending, f"{len(pending)} events undelivered after 3 attempts: {late.delivery.errors[-1:]}"
        ids = job_ids(0, 30) + job_ids(300, 320)
        want = expected(before + after)
        recovered_s = wait_for(_converged(store, pool, ids, want), 120, "events produced after the restart")
        stats = pool.stats()[0]
    finally:
        producer.close()
        pool.stop()
    survived = indexed(store, job_ids(200, 210))
    report(f"broker restarted: {len(lost.failed)} events reported undelivered, "
           f"{10 - len(survived)} of 10 acknowledged-but-unconsumed events lost, {stats['log_resets']} partitions "
           f"rewound; caught up after", recovered_s)
    assert len(lost.failed) == len(during) and lost.errors
    assert all(version == 1 for version in survived.values())
    # a rewind is needed only where the restarted log is shorter than the consumer's position, which depends
    # on what the broker had flushed; convergence above is the guarantee either way
    assert pool.restarts == 0
    assert recovered_s < 120
