"""`semstream status` prints the group's lag per topic and per partition."""

from __future__ import annotations

import pytest

from semstream.commands.status import _print_table


def test_the_table_shows_lag_per_topic_and_partition(capsys: pytest.CaptureFixture[str]) -> None:
    report = {
        "kafka": {"jobs.v1": {"lag": 12, "partitions": {1: 7, 0: 5}}, "profiles.v1": {"lag": 0, "partitions": {}}},
        "index": {"jobs": 40},
        "ray": "not reachable: no cluster",
    }
    _print_table(report)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["topic", "lag", "per", "partition"]
    assert lines[1].split() == ["jobs.v1", "12", "p0=5", "p1=7"]
    assert lines[2].split() == ["profiles.v1", "0"]
    assert "index jobs" in lines[3] and "40 documents" in lines[3]
    assert lines[-1] == "ray: not reachable: no cluster"
