"""The real embedded broker (Tansu) with the kafka-python source, sink and admin helpers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from semstream.config import Settings, load_settings
from semstream.schemas import EntityKind, JobEvent, Op
from semstream.topics.admin import describe, ensure_topics, topic_lag
from semstream.topics.broker import EmbeddedBroker, free_port
from semstream.topics.consumer import KafkaEventSource
from semstream.topics.exceptions import BrokerError
from semstream.topics.producer import KafkaEventSink
from semstream.topics.protocol import RawRecord
from semstream.topics.registry import DEADLETTER, ENGAGEMENT, JOBS, PROFILES
from semstream.topics.serde import decode_event, encode_event

pytestmark = pytest.mark.integration

N_EVENTS = 200


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(free_port(), tmp_path_factory.mktemp("broker") / "broker.log")
    with broker:
        yield broker


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, topic_partitions=2)


def _poll_until(source: KafkaEventSource, count: int, timeout_s: float = 20.0) -> list[RawRecord]:
    records: list[RawRecord] = []
    deadline = time.monotonic() + timeout_s
    while len(records) < count and time.monotonic() < deadline:
        records += source.poll(500, 500)
    return records


def _tansu_processes(port: int) -> list[int]:
    """Pids whose command line names this broker's listener."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "tansu" in cmdline and f"127.0.0.1:{port}" in cmdline:
                pids.append(int(entry.name))
    return pids


def test_produce_consume_commit_resume_and_lag(running: EmbeddedBroker, settings: Settings) -> None:
    bootstrap, group = running.bootstrap, "it-broker"
    assert set(ensure_topics(bootstrap, settings)) == {JOBS, PROFILES, DEADLETTER, ENGAGEMENT}
    assert ensure_topics(bootstrap, settings) == []

    sink = KafkaEventSink(bootstrap, settings)
    for i in range(N_EVENTS):
        sink.send(JOBS, *encode_event(JobEvent(op=Op.UPSERT, id=f"job-{i}", version=1, title=f"Role {i}")))
    sink.flush(30)
    sink.close()

    first = KafkaEventSource(bootstrap, settings, [JOBS], group=group)
    records = _poll_until(first, N_EVENTS)
    events = [decode_event(EntityKind.JOB, r.key, r.value, max_text_chars=1000) for r in records]
    assert sorted(e.id for e in events) == sorted(f"job-{i}" for i in range(N_EVENTS))

    per_partition = {p: sum(r.partition == p for r in records) for p in (0, 1)}
    assert all(per_partition.values())  # keys spread over both partitions
    half = {(JOBS, p): n // 2 for p, n in per_partition.items()}
    first.commit(half)
    first.close()
    assert topic_lag(bootstrap, group, settings) == {
        JOBS: {p: n - n // 2 for p, n in per_partition.items()},
        PROFILES: {0: 0, 1: 0},
    }

    second = KafkaEventSource(bootstrap, settings, [JOBS], group=group)
    rest = _poll_until(second, N_EVENTS - sum(half.values()))
    assert len(rest) == N_EVENTS - sum(half.values())
    for p in (0, 1):
        assert min(r.offset for r in rest if r.partition == p) == half[(JOBS, p)]
    second.commit({(JOBS, p): n for p, n in per_partition.items()})
    second.close()
    assert topic_lag(bootstrap, group, settings)[JOBS] == {0: 0, 1: 0}

    status = describe(bootstrap, settings, group=group)
    assert status["topics"][JOBS]["messages"] == N_EVENTS and status["total_lag"] == 0


def test_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port}"):
            EmbeddedBroker(port, tmp_path / "b.log").start()


def test_missing_binary_is_named(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match="/nonexistent/tansu"):
        EmbeddedBroker(free_port(), tmp_path / "b.log", binary="/nonexistent/tansu").start()


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    broker = EmbeddedBroker(free_port(), tmp_path / "b.log")
    with broker:
        pid = broker.pid
        assert pid is not None and _tansu_processes(broker.port) == [pid]
    assert not broker.running()
    assert _tansu_processes(broker.port) == []
    assert not os.path.exists(f"/proc/{pid}")
    broker.stop()  # idempotent


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_broker_dies_with_a_killed_parent(tmp_path: Path) -> None:
    port = free_port()
    script = (
        "import sys, time; from pathlib import Path; from semstream.topics.broker import EmbeddedBroker; "
        f"b = EmbeddedBroker({port}, Path({str(tmp_path / 'b.log')!r})).start(); print(b.pid, flush=True); time.sleep(120)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        broker_pid = int(parent.stdout.readline())
        assert _alive(broker_pid)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while _alive(broker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(broker_pid)
