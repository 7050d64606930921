"""`semstream status`: topics and consumer lag, index sizes, ingest freshness."""

from __future__ import annotations

import json

import typer

from semstream.config import Settings, get_settings

app = typer.Typer(add_completion=False)


def kafka_status(settings: Settings) -> dict:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.admin import topic_lag

    lag = topic_lag(bootstrap_servers(settings), settings.consumer_group, settings)
    return {topic: {"lag": sum(parts.values()), "partitions": parts} for topic, parts in lag.items()}


def ray_status(settings: Settings) -> dict:
    """Index sizes from the index owner and figures from each live ingest actor."""
    import ray

    from semstream.actors.index_client import named_index_owner
    from semstream.actors.ray_actors import NAMESPACE, join_running_ray
    from semstream.schemas import EntityKind

    join_running_ray(settings)
    out: dict = {"index": {}, "ingest": {}}
    if not settings.qdrant_url:
        owner = named_index_owner()
        out["index"] = {k.collection: ray.get(owner.count.remote(k)) for k in EntityKind}
    for entry in ray.util.list_named_actors(all_namespaces=True):
        if entry["namespace"] == NAMESPACE and entry["name"].startswith("semstream-ingest-"):
            actor = ray.get_actor(entry["name"], namespace=NAMESPACE)
            out["ingest"][entry["name"]] = ray.get(actor.stats.remote(), timeout=10)
    return out


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Show what the running system is doing."""
    settings = get_settings()
    report = {"kafka": kafka_status(settings)}
    try:
        report.update(ray_status(settings))
    except (ConnectionError, ValueError) as e:
        report["ray"] = f"not reachable: {e}"
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    _print_table(report)


def _lag_line(topic: str, info: dict) -> str:
    """``jobs.v1   12   p0=5 p1=7``: the group's lag (end offset - committed) per topic and partition."""
    parts = " ".join(f"p{p}={n}" for p, n in sorted(info["partitions"].items()))
    return f"{topic:<20} {info['lag']:<8} {parts}".rstrip()


def _print_table(report: dict) -> None:
    typer.echo(f"{'topic':<20} {'lag':<8} per partition")
    for topic, info in report["kafka"].items():
        typer.echo(_lag_line(topic, info))
    for collection, count in report.get("index", {}).items():
        typer.echo(f"index {collection:<14} {count} documents")
    for name, stats in report.get("ingest", {}).items():
        p99 = stats.get("freshness_p99_s")
        typer.echo(
            f"{name}: consumed {stats.get('consumed')} written {stats.get('written')} "
            f"dead-lettered {stats.get('dead_lettered')} freshness p99 "
            + (f"{p99:.2f}s" if p99 is not None else "-")
        )
    if "ray" in report:
        typer.echo(f"ray: {report['ray']}")


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream status")
