"""`semstream search "…"`: ask the running HTTP service and print the results."""

from __future__ import annotations

import json

import httpx
import typer

from semstream.config import get_settings
from semstream.errors import SemstreamError

app = typer.Typer(add_completion=False)


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for."),
    people: bool = typer.Option(False, "--people", help="Search people instead of jobs."),
    k: int = typer.Option(10, min=1, max=100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    settings = get_settings()
    url = f"http://{settings.http_host}:{settings.http_port}/v1/search/{'people' if people else 'jobs'}"
    try:
        response = httpx.post(url, json={"query": query, "k": k}, timeout=30)
    except httpx.HTTPError as e:
        raise SemstreamError(f"cannot reach the service at {url} ({e}); is `semstream up` running?") from e
    if response.status_code >= 400:
        raise SemstreamError(f"{response.status_code}: {response.text}")
    body = response.json()
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    for item in body.get("items", []):
        where = " · ".join(str(item[f]) for f in ("company", "location", "remote") if item.get(f))
        typer.echo(f"{item.get('rank', '?'):>3}. {item.get('score', 0):.3f}  {item.get('title') or item.get('headline')}  {where}")


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream search")
