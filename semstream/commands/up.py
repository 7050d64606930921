"""`semstream up`: start the stack, load demo data, train the quick default ranker, serve."""

from __future__ import annotations

import itertools
import signal

import typer

from semstream.config import Settings, get_settings

app = typer.Typer(add_completion=False)


def say(message: str) -> None:
    typer.echo(f"[semstream] {message}")


def produce_demo(settings: Settings) -> int:
    """Produce the demo postings and synthetic profiles; returns how many events were sent."""
    from semstream.actors.wiring import bootstrap_servers
    from semstream.schemas import EntityKind
    from semstream.topics.loaders import demo_job_events
    from semstream.topics.producer import KafkaEventSink
    from semstream.topics.profiles import synthetic_profiles
    from semstream.topics.registry import topic_for
    from semstream.topics.serde import encode_event

    jobs = list(itertools.islice(demo_job_events(settings), settings.demo_jobs))
    profiles = synthetic_profiles(settings.demo_profiles, seed=7)
    sink = KafkaEventSink(bootstrap_servers(settings), settings)
    try:
        for kind, events in ((EntityKind.JOB, jobs), (EntityKind.PROFILE, profiles)):
            for event in events:
                sink.send(topic_for(kind).name, *encode_event(event))
        sink.flush(60)
    finally:
        sink.close()
    return len(jobs) + len(profiles)


def _stop_on_sigterm() -> None:
    def handler(signum, frame):  # noqa: ARG001 - signal signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@app.command()
def up(
    demo: bool = typer.Option(None, help="Load demo data (default: SEMSTREAM_LOAD_DEMO)."),
    serve_http: bool = typer.Option(True, "--serve/--no-serve", help="Start the HTTP service."),
) -> None:
    """Start everything; Ctrl-C stops everything this command started."""
    from semstream.stack import Stack

    settings = get_settings()
    stack = Stack(settings, say)
    _stop_on_sigterm()
    try:
        stack.start(serve_http=False)
        if settings.load_demo if demo is None else demo:
            say(f"demo: produced {produce_demo(settings)} events; ingest is indexing them live")
        if serve_http:
            from semstream.models.ranker.registry import ensure_default_ranker

            say(f"ranker: {ensure_default_ranker(settings)}")
            stack.start_serving()
        say("ready — Ctrl-C to stop")
        stack.supervise()
    except KeyboardInterrupt:
        say("stopping")
    finally:
        stack.stop()
        say("stopped")


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream up")
