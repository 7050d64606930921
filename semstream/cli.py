"""The one command line: ``semstream up | produce | status | purge | search | train | eval``.

Each subcommand's module is imported only when that subcommand runs, so ``--help`` is fast and
a missing optional dependency names itself instead of breaking every command.
"""

from __future__ import annotations

import importlib

import typer

from semstream.errors import SemstreamError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Streaming semantic search for jobs and people.")

# name -> (module exposing `app` or `main`, help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "up": ("semstream.commands.up", "Start the embedded stack (broker, Ray, Qdrant, Serve) and load demo data."),
    "produce": ("semstream.commands.produce", "Produce entity events from a JSONL file or stdin."),
    "status": ("semstream.commands.status", "Topics, consumer lag, index sizes."),
    "purge": ("semstream.commands.purge", "Rewrite the embedded index so deleted entities' data leaves the disk."),
    "search": ("semstream.commands.search", "Search the running service from the terminal."),
    "train": ("semstream.commands.train", "Build judge data, train teachers and the student ranker."),
    "eval": ("semstream.commands.eval", "Evaluate retrieval and ranking."),
}


def _lazy(module_name: str):
    def run(ctx: typer.Context) -> None:
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            typer.secho(f"this command needs a dependency that is missing: {e}", fg="red", err=True)
            raise typer.Exit(2) from e
        try:
            module.main(ctx.args)
        except SemstreamError as e:
            typer.secho(f"error: {e}", fg="red", err=True)
            raise typer.Exit(1) from e

    return run


for _name, (_module, _help) in SUBCOMMANDS.items():
    app.command(
        _name,
        help=_help,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    )(_lazy(_module))
