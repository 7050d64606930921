"""`semstream purge`: rewrite the embedded index so no byte of a deleted entity stays on disk.

A delete hides an entity at once, but the embedded shards keep its old bytes (write-ahead log,
segment pages) until the index owner rewrites them with only the current points. Slow: every
point is read and written again, and writes wait meanwhile; run it in a quiet period.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from semstream.config import Settings, get_settings
from semstream.errors import StoreUnavailable

app = typer.Typer(add_completion=False)

SERVER_NOTE = "the index is a Qdrant server: it reclaims deleted points with its own vacuum optimizer"


def running_owner(settings: Settings) -> Any:
    """The running stack's index owner; StoreUnavailable when no stack (or no owner) is running."""
    from semstream.actors.index_client import named_index_owner
    from semstream.actors.ray_actors import join_running_ray

    try:
        join_running_ray(settings)
        return named_index_owner()
    except (ConnectionError, ValueError) as e:
        raise StoreUnavailable(f"no running stack found ({e}); start one with `semstream up`") from e


def purge_index(settings: Settings) -> dict[str, int]:
    """Points kept per collection after the index owner purged its shards."""
    owner = running_owner(settings)
    try:
        call = owner.purge_deleted
    except AttributeError as e:
        raise StoreUnavailable("the running index owner cannot purge; restart the stack with `semstream up`") from e
    import ray

    return ray.get(call.remote())


@app.command()
def purge(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Rewrite the embedded shards without the data of deleted entities."""
    settings = get_settings()
    if settings.qdrant_url:
        typer.echo(SERVER_NOTE)
        return
    kept = purge_index(settings)
    if as_json:
        typer.echo(json.dumps(kept, indent=2))
        return
    _print_counts(kept)


def _print_counts(kept: dict[str, int]) -> None:
    """``index people        30 points kept`` per collection (tombstones included)."""
    if not kept:
        typer.echo("nothing to purge: the index owner holds no shard on disk")
    for collection, count in kept.items():
        typer.echo(f"index {collection:<14} {count} points kept")


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream purge")
