"""``semstream produce``: line validation, skipped-line reporting, --raw, demo events (on the broker twin)."""

from __future__ import annotations

import json
from pathlib import Path

from semstream.commands.produce import produce_events, produce_lines, read_lines
from semstream.schemas import EntityKind, JobEvent, Op
from semstream.topics.memory import MemoryBroker
from semstream.topics.registry import JOBS, PROFILES

GOOD = json.dumps({"op": "upsert", "id": "job-1", "version": 1, "title": "Data Engineer"})
BAD_OP = json.dumps({"op": "merge", "id": "job-2", "version": 1})


def test_invalid_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    path.write_text(f"{GOOD}\n\n{BAD_OP}\nnot json\n")
    broker = MemoryBroker()
    report = produce_lines(broker.sink(), EntityKind.JOB, read_lines(str(path)), raw=False, max_text_chars=1000)
    assert report.sent == 1
    assert [n for n, _ in report.errors] == [3, 4]
    assert "unknown op 'merge'" in report.errors[0][1] and "malformed JSON" in report.errors[1][1]
    [record] = broker.records(JOBS)
    assert record.key == b"job-1" and json.loads(record.value)["title"] == "Data Engineer"


def test_raw_sends_lines_unvalidated_keyed_by_id_when_present() -> None:
    broker = MemoryBroker()
    lines = [(1, BAD_OP), (2, "not json")]
    report = produce_lines(broker.sink(), EntityKind.PROFILE, lines, raw=True, max_text_chars=1000)
    assert report.sent == 2 and not report.errors
    records = sorted(broker.records(PROFILES), key=lambda r: r.value)
    assert [(r.key, r.value) for r in records] == [(None, b"not json"), (b"job-2", BAD_OP.encode())]


def test_produce_events_goes_to_the_kind_topic() -> None:
    broker = MemoryBroker()
    events = [JobEvent(op=Op.UPSERT, id=f"j{i}", version=1) for i in range(5)]
    assert produce_events(broker.sink(), events, EntityKind.JOB) == 5
    assert sorted(r.key for r in broker.records(JOBS)) == [f"j{i}".encode() for i in range(5)]
