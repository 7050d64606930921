"""The whole stack stopped and started again on the same data directory.

The embedded broker keeps nothing across the restart, so the producers send everything again:
the index must come back as it was, the replayed events must all be stale (no-ops), and new
events must be applied.
"""

from __future__ import annotations

import time

import pytest
from helpers import consumed, expected, indexed, job_event, job_ids, produce, report, scenario, wait_for

from semstream.schemas import EntityKind

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _settings(tmp_path):
    from semstream.config import load_settings
    from semstream.topics.broker import free_port

    return load_settings(
        data_dir=tmp_path / "data", broker_port=free_port(), ray_dashboard_port=free_port(), ray_num_cpus=4,
        ingest_workers=1, torch_threads=1, embed_max_tokens=64, ingest_batch_size=32, load_demo=False,
        consumer_group="restart-test",
    )


def _started(settings):
    from semstream.stack import Stack

    stack = Stack(settings, say=lambda message: None)
    try:
        stack.start(serve_http=False)
    except BaseException:
        stack.stop()
        raise
    return stack


def test_restart_on_the_same_data_dir_keeps_the_index_and_ignores_replays(tmp_path, own_ray):
    from semstream.actors.index_client import ActorStoreClient

    settings = _settings(tmp_path)
    events, _ = scenario(n=24, seed=21)
    want = expected(events)
    ids = job_ids(0, 60)
    stack = _started(settings)
    try:
        produce(settings, events)
        wait_for(lambda: indexed(ActorStoreClient.for_settings(settings), ids) == want, 180, "the first run")
    finally:
        stack.stop()

    stopped_at = time.time()
    stack = _started(settings)
    try:
        store = ActorStoreClient.for_settings(settings)
        back_s = time.time() - stopped_at
        assert indexed(store, ids) == want, "the index changed across the restart"
        produce(settings, events)                       # everything again, as producers would after a restart
        wait_for(lambda: consumed(stack.pool) >= len(events), 180, "the replay to be consumed")
        replay = stack.pool.stats()[0]
        new = [job_event(i, 50) for i in range(0, 24, 4)] + [job_event(i, 1) for i in range(40, 60)]
        produce(settings, new)
        wait_for(lambda: indexed(store, ids) == expected(events + new), 120, "the new events")
        count = store.count(EntityKind.JOB)
    finally:
        stack.stop()
    report("stack restarted on the same data dir: index answering after", back_s)
    assert replay["written"] == 0 and replay["stale"] == len(events)
    assert count == len(expected(events + new))


def test_supervision_restarts_a_dead_embedded_broker_with_its_topics(tmp_path):
    """No Ray needed: the broker half of the stack, its process killed as a crash would."""
    import os
    import signal

    from semstream.actors.wiring import bootstrap_servers
    from semstream.stack import Stack
    from semstream.topics.admin import describe
    from semstream.topics.registry import JOBS

    settings = _settings(tmp_path)
    messages: list[str] = []
    stack = Stack(settings, say=messages.append)
    try:
        stack._start_broker()
        stack._ensure_topics()
        first_pid = stack.broker.pid
        os.killpg(first_pid, signal.SIGKILL)
        wait_for(lambda: not stack.broker.running(), 10, "the broker to die")
        started = time.time()
        assert stack.check() == ["broker"]
        report("dead embedded broker restarted by supervision after", time.time() - started)
        assert stack.broker.running() and stack.broker.pid != first_pid
        assert JOBS in describe(bootstrap_servers(settings), settings)["topics"]
        assert stack.check() == []
        assert any("EMPTY" in m for m in messages)
    finally:
        stack.stop()
