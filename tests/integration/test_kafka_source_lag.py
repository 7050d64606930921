"""KafkaEventSource.lag() on the real embedded broker (Tansu)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from semstream.config import load_settings
from semstream.topics.admin import ensure_topics
from semstream.topics.consumer import KafkaEventSource
from semstream.topics.producer import KafkaEventSink
from semstream.topics.protocol import RawRecord
from semstream.topics.registry import Topic

pytestmark = pytest.mark.integration

TOPIC = "lag.v1"


def _produce(bootstrap: str, settings, first: int, n: int) -> None:
    sink = KafkaEventSink(bootstrap, settings)
    for i in range(first, first + n):
        sink.send(TOPIC, f"k{i}".encode(), f"v{i}".encode())
    sink.flush(30)
    sink.close()


def _poll_exactly(source: KafkaEventSource, n: int, timeout_s: float = 20.0) -> list[RawRecord]:
    got: list[RawRecord] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < n and time.monotonic() < deadline:
        got += source.poll(n - len(got), 200)
    return got


def test_lag_is_end_offset_minus_position(broker, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    ensure_topics(broker.bootstrap, settings, [Topic(TOPIC, 1)])
    _produce(broker.bootstrap, settings, 0, 10)  # one flush: one batch, where Tansu's ListOffsets says 1
    source = KafkaEventSource(broker.bootstrap, settings, [TOPIC], group="it-lag")
    try:
        assert len(_poll_exactly(source, 4)) == 4
        assert source.lag() == {(TOPIC, 0): 6}
        assert len(_poll_exactly(source, 6)) == 6
        assert source.lag() == {(TOPIC, 0): 0}
        _produce(broker.bootstrap, settings, 10, 5)
        assert len(_poll_exactly(source, 2)) == 2
        assert source.lag() == {(TOPIC, 0): 3}
    finally:
        source.close()
