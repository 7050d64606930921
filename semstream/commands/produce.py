"""``semstream produce jobs|profiles FILE.jsonl`` (``-`` = stdin) and ``semstream produce demo``.

Each input line is one event as JSON. Lines that fail validation are reported with their line
number and skipped; ``--raw`` sends lines as they are (to exercise dead-lettering downstream).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from semstream.config import Settings, get_settings
from semstream.errors import InvalidEvent
from semstream.schemas import EntityEvent, EntityKind
from semstream.shared_data import esco_dir
from semstream.topics.exceptions import DataError
from semstream.topics.protocol import EventSink
from semstream.topics.registry import topic_name
from semstream.topics.serde import decode_event, encode_event

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Produce entity events to Kafka.")

FLUSH_TIMEOUT_S = 60.0
MAX_ERRORS_SHOWN = 20


@dataclass
class ProduceReport:
    sent: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def bootstrap_of(settings: Settings) -> str:
    """The configured cluster, else the embedded broker on ``127.0.0.1:broker_port``."""
    return settings.kafka_bootstrap or f"127.0.0.1:{settings.broker_port}"


def read_lines(source: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of the non-blank lines of a file, or of stdin for ``-``."""
    try:
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8")
    except OSError as e:
        raise DataError(f"cannot read {source}: {e}") from e
    with stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield number, line.rstrip("\n")


def produce_lines(
    sink: EventSink, kind: EntityKind, lines: Iterable[tuple[int, str]], *, raw: bool, max_text_chars: int
) -> ProduceReport:
    """Validate (unless ``raw``) and send each line to the kind's topic; invalid lines are recorded."""
    report, topic = ProduceReport(), topic_name(kind)
    for number, line in lines:
        if raw:
            sink.send(topic, _raw_key(line), line.encode("utf-8"))
            report.sent += 1
            continue
        try:
            event = decode_event(kind, None, line.encode("utf-8"), max_text_chars=max_text_chars)
        except InvalidEvent as e:
            report.errors.append((number, str(e)))
            continue
        sink.send(topic, *encode_event(event))
        report.sent += 1
    return report


def _raw_key(line: str) -> bytes | None:
    """The id of a raw line as key when it has one, so raw events still land by entity."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    ident = data.get("id") if isinstance(data, dict) else None
    return ident.encode("utf-8") if isinstance(ident, str) and ident else None


def produce_events(sink: EventSink, events: Iterable[EntityEvent], kind: EntityKind) -> int:
    """Send already-built events; returns how many."""
    topic, sent = topic_name(kind), 0
    for event in events:
        sink.send(topic, *encode_event(event))
        sent += 1
    return sent


def open_sink(settings: Settings) -> tuple[EventSink, str]:
    """A Kafka sink on the configured bootstrap, after creating any missing topics."""
    from semstream.topics.admin import ensure_topics
    from semstream.topics.producer import KafkaEventSink

    bootstrap = bootstrap_of(settings)
    ensure_topics(bootstrap, settings)
    return KafkaEventSink(bootstrap, settings), bootstrap


def _print_report(report: ProduceReport, kind: EntityKind, bootstrap: str) -> None:
    for number, reason in report.errors[:MAX_ERRORS_SHOWN]:
        typer.secho(f"line {number}: {reason}", fg="yellow", err=True)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        typer.secho(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more invalid lines", fg="yellow", err=True)
    skipped = f"; skipped {len(report.errors)} invalid lines" if report.errors else ""
    typer.echo(f"sent {report.sent} {kind.value} events to {topic_name(kind)} at {bootstrap}{skipped}")


def _produce_file(kind: EntityKind, source: str, raw: bool) -> None:
    settings = get_settings()
    sink, bootstrap = open_sink(settings)
    try:
        report = produce_lines(sink, kind, read_lines(source), raw=raw, max_text_chars=settings.max_text_chars)
        sink.flush(FLUSH_TIMEOUT_S)
    finally:
        sink.close()
    _print_report(report, kind, bootstrap)


FileArg = Annotated[str, typer.Argument(help="JSON-lines file of events, or - for stdin.")]
RawOpt = Annotated[bool, typer.Option("--raw", help="Send lines unvalidated (to test dead-lettering).")]


@app.command()
def jobs(file: FileArg, raw: RawOpt = False) -> None:
    """Produce job events (one JSON object per line) to jobs.v1."""
    _produce_file(EntityKind.JOB, file, raw)


@app.command()
def profiles(file: FileArg, raw: RawOpt = False) -> None:
    """Produce profile events (one JSON object per line) to profiles.v1."""
    _produce_file(EntityKind.PROFILE, file, raw)


@app.command()
def demo(
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=0, help="Job events; default all demo postings.")] = None,
    profiles: Annotated[int, typer.Option("--profiles", min=0, help="Synthetic profiles.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the profile generator.")] = 0,
) -> None:
    """Produce the demo data: real job postings (HN + Indeed, or the bundled sample) and synthetic profiles."""
    from semstream.topics.loaders import demo_job_events, replicate
    from semstream.topics.profiles import synthetic_profiles

    settings = get_settings()
    job_events = demo_job_events(settings) if jobs is None else replicate(demo_job_events(settings), jobs)
    people = synthetic_profiles(profiles, seed, esco_dir(settings.shared_data_dir))
    sink, bootstrap = open_sink(settings)
    try:
        sent_jobs = produce_events(sink, job_events, EntityKind.JOB)
        sent_people = produce_events(sink, people, EntityKind.PROFILE)
        sink.flush(FLUSH_TIMEOUT_S)
    finally:
        sink.close()
    typer.echo(f"sent {sent_jobs} job and {sent_people} profile events to {bootstrap}")


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream produce")
