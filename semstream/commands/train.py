"""``semstream train judge-data | teachers | student | all [--profile quick|full] [--json OUT]``.

Stages keep their outputs under ``<data_dir>/training/<profile>/`` and skip work already done;
an interrupted training stage resumes from its last checkpoint when run again. ``student`` writes
a new version of the named ranker under ``<data_dir>/models/<name>/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from semstream.config import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Train the SLM ranker.")

Profile = Annotated[str, typer.Option("--profile", help="quick (minutes) or full (< 30 min on 2 cores).")]
JsonOut = Annotated[Optional[Path], typer.Option("--json", help="Write the report as JSON here ('-' = stdout).")]
Name = Annotated[str, typer.Option("--name", help="Ranker name the student is saved under.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]


def summary_lines(report: dict) -> list[str]:
    """Human-readable lines: stage timings and the held-out comparison, when present."""
    lines = [f"{stage}: {info['seconds']} s" for stage, info in report["stages"].items()]
    student = report["stages"].get("student", {}).get("result")
    if student:
        lines.append(f"ranker: {student['artifact']}")
        evaluation = dict(student["eval"])
        clicks, mixlm = evaluation.pop("click_auroc", None), evaluation.pop("mixlm", None)
        fusion = evaluation.pop("retrieval_fusion", None)
        if mixlm:
            evaluation["mixlm"] = mixlm["test"]
        for who, metrics in evaluation.items():
            extra = "".join(f"  {k.upper()} {metrics[k]:.4f}" for k in ("auroc", "ece") if k in metrics)
            lines.append(f"  {who:<20} NDCG@10 {metrics['ndcg@10']:.4f}{extra}")
        if fusion:
            lines.append(f"  fusion weights       retrieval {fusion['weight']} (centre {fusion.get('center', 0.0)}), "
                         f"facts {fusion.get('facts_weight', 0.0)} (centre {fusion.get('facts_center', 0.0)}); "
                         f"calibration NDCG@10 {_calib_line(fusion)}")
        if clicks:
            lines.append("  click AUROC          " + "  ".join(
                f"{k} {clicks[k]:.4f}" for k in ("engagement_teacher", "student", "popularity")))
    return lines


def _calib_line(fusion: dict) -> str:
    """Alone -> fused at the chosen weights (every pair's figure is in the JSON report)."""
    table = fusion["calib_ndcg@10"]
    chosen = table.get(f"{fusion['weight']:g},{fusion.get('facts_weight', 0.0):g}")
    return f"{table.get('0,0')} alone, {chosen} fused ({len(table)} weight pairs tried)"


def _run(stage: str, profile: str, json_out: Path | None, name: str, quiet: bool) -> None:
    from semstream.models.training.pipeline import run

    report = run(stage, get_settings(), profile, progress=not quiet, name=name)
    for line in summary_lines(report):
        typer.echo(line, err=json_out is not None and str(json_out) == "-")
    if json_out is not None:
        text = json.dumps(report, indent=1, default=str)
        typer.echo(text) if str(json_out) == "-" else json_out.write_text(text)


@app.command("judge-data")
def judge_data(profile: Profile = "quick", json_out: JsonOut = None, quiet: Quiet = False) -> None:
    """Queries, dense candidates, policy-judge grades, simulated engagement."""
    _run("judge-data", profile, json_out, "default", quiet)


@app.command()
def teachers(profile: Profile = "quick", json_out: JsonOut = None, quiet: Quiet = False) -> None:
    """The relevance teacher (judge soft labels) and the engagement teacher (action rates)."""
    _run("teachers", profile, json_out, "default", quiet)


@app.command()
def student(profile: Profile = "quick", json_out: JsonOut = None, name: Name = "default", quiet: Quiet = False) -> None:
    """Distil both teachers into the pruned student, calibrate, evaluate, save a version."""
    _run("student", profile, json_out, name, quiet)


@app.command("all")
def all_stages(profile: Profile = "quick", json_out: JsonOut = None, name: Name = "default", quiet: Quiet = False) -> None:
    """Every stage in order (each skipped when already complete)."""
    _run("all", profile, json_out, name, quiet)


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream train")
