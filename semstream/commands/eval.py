"""``semstream eval``: offline evaluation of retrieval and ranking.

Subcommands: ``trec`` (a MELO/TREC qrels folder: BM25, dense, dense + ranker) and ``judged``
(a judge-labelled query set from real postings). Each writes a JSON report and a bar chart beside
it. To add a subcommand, add one ``@app.command`` function below.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from semstream.config import Settings, get_settings
from semstream.shared_data import JOBBERT_TEST, MELO_USA, esco_dir

if TYPE_CHECKING:
    from semstream.models.embedder import Embedder

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Evaluate retrieval and ranking.")
RankerHints = Annotated[bool, typer.Option(help="Give rankers query understanding's hints, as served.")]


@app.callback()
def _group() -> None:
    """Evaluate retrieval and ranking."""


def main(argv: list[str]) -> None:
    app(args=argv, prog_name="semstream eval")


# --- shared helpers -----------------------------------------------------------------------
def make_embedder(name: str, settings: Settings, batch_size: int | None = None) -> Embedder:
    """The bundled (or configured) bi-encoder, or the hashing twin for quick smoke runs."""
    from semstream.models.embedder import HashEmbedder, TransformerEmbedder

    if name == "hash":
        return HashEmbedder(256)
    if name != "minilm":
        raise typer.BadParameter(f"embedder must be minilm or hash, got {name!r}", param_hint="--embedder")
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    return TransformerEmbedder(settings.embedder_path, settings.embed_max_tokens,
                               batch_size or settings.embed_batch_size)


def write_report(report: dict[str, Any], out: Path, metrics: list[str], title: str) -> None:
    """The JSON report, plus a PNG bar chart beside it when matplotlib is installed."""
    from semstream.models.eval.plot import bar_chart

    png, note = bar_chart(report["methods"], metrics, out.with_suffix(".png"), title)
    report["plot"] = str(png) if png else note
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_finite(report), indent=2, default=str, allow_nan=False) + "\n", encoding="utf-8")
    for name, row in report["methods"].items():
        typer.echo(f"{name:>24}  " + "  ".join(f"{m}={row.get(m, float('nan')):.4f}" for m in metrics))
    for name, status in report.get("rankers", {}).items():
        if status != "ok":
            typer.echo(f"{name:>24}  {status}")
    typer.echo(f"report: {out}  plot: {report['plot']}")


def _finite(value: Any) -> Any:
    """NaN/inf -> None, so the report is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _cache_dir(given: Path | None, settings: Settings) -> Path:
    return given or settings.data_dir / "cache" / "eval"


# --- subcommands --------------------------------------------------------------------------
@app.command("trec")
def trec(
    directory: Annotated[Path, typer.Argument(help="MELO-layout folder: queries.tsv, corpus_elements.tsv, annotations.tsv.")],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON report.")],
    ranker: Annotated[list[str], typer.Option("--ranker", help="Ranker name(s) to rerank the dense top-N.")] = [],  # noqa: B006
    limit_queries: Annotated[int | None, typer.Option(min=1, help="Evaluate only the first N queries.")] = None,
    rerank_depth: Annotated[int, typer.Option(min=1, help="How many dense results a ranker re-scores.")] = 100,
    embedder: Annotated[str, typer.Option(help="minilm (the bi-encoder) or hash (smoke runs).")] = "minilm",
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache; default <data_dir>/cache/eval.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Embedding batch size (titles are short).")] = 128,
    ranker_hints: RankerHints = True,
) -> None:
    """BM25, dense and dense + ranker on a TREC qrels folder (NDCG@10, Recall@10/100, MAP)."""
    from semstream.models.eval.rankers import qu_hints
    from semstream.models.eval.trec import run_trec

    if not directory.is_dir():
        raise typer.BadParameter(f"not a folder: {directory}", param_hint="DIRECTORY")
    settings = get_settings()
    report = run_trec(directory, make_embedder(embedder, settings, batch_size), _cache_dir(cache_dir, settings),
                      rankers=ranker, limit_queries=limit_queries, rerank_depth=rerank_depth,
                      hints=qu_hints(settings.shared_data_dir) if ranker and ranker_hints else None)
    write_report(report, json_out, ["ndcg@10", "recall@10", "recall@100", "map"], f"MELO {report['dataset']}")


@app.command("judged")
def judged(
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON report.")],
    kind: Annotated[str, typer.Option(help="job or profile.")] = "job",
    ranker: Annotated[list[str], typer.Option("--ranker", help="Ranker name(s) to evaluate besides dense.")] = [],  # noqa: B006
    queries: Annotated[int, typer.Option(min=1, help="Generated queries.")] = 150,
    per_query: Annotated[int, typer.Option(min=2, help="Judged candidates per query.")] = 50,
    random_fraction: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of random candidates.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed for queries, candidates and splits.")] = 13,
    pairs: Annotated[Path | None, typer.Option(help="Judged pairs JSONL to load or create; default in the cache.")] = None,
    rebuild: Annotated[bool, typer.Option(help="Re-judge even if the pairs file exists.")] = False,
    max_docs: Annotated[int | None, typer.Option(min=1, help="Cap postings per source (or profiles).")] = None,
    embedder: Annotated[str, typer.Option(help="minilm (the bi-encoder) or hash (smoke runs).")] = "minilm",
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding and pairs cache; default <data_dir>/cache/eval.")] = None,
    judge_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL: grade with an LLM judge instead.")] = None,
    judge_model: Annotated[str, typer.Option(help="Model name for --judge-url.")] = "judge",
    judge_key_file: Annotated[Path | None, typer.Option(help="File holding the --judge-url API key, if it needs one.")] = None,
    ranker_hints: RankerHints = True,
) -> None:
    """NDCG@10 (judge grades as gains) and Poor-Match-Rate@10 on a judge-labelled query set."""
    from semstream.models.eval.judged_run import JudgedRunConfig, run_judged

    entity = _entity_kind(kind)
    settings = get_settings()
    config = JudgedRunConfig(
        kind=entity, n_queries=queries, per_query=per_query, random_fraction=random_fraction, seed=seed,
        pairs_path=pairs, rebuild=rebuild, max_docs=max_docs, cache_dir=_cache_dir(cache_dir, settings),
        shared_data_dir=settings.shared_data_dir, rankers=list(ranker), judge_url=judge_url, judge_model=judge_model,
        judge_api_key=judge_key_file.read_text(encoding="utf-8").strip() if judge_key_file else None,
        ranker_hints=ranker_hints,
    )
    report = run_judged(config, make_embedder(embedder, settings))
    write_report(report, json_out, ["ndcg@10", "poor_match_rate@10", "auroc"], f"judged {entity.value} search")


@app.command("ranker")
def ranker_report(
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON report.")],
    ranker: Annotated[str, typer.Option(help="The ranker (student) to report on.")] = "default",
    melo: Annotated[Path | None, typer.Option(help="MELO folder; default <shared data>/melo/usa_q_en_c_en if present.")] = None,
    queries: Annotated[int, typer.Option(min=1, help="Judge-labelled job queries.")] = 150,
    per_query: Annotated[int, typer.Option(min=2, help="Judged candidates per query.")] = 50,
    limit_queries: Annotated[int | None, typer.Option(min=1, help="Only the first N MELO queries.")] = None,
    rerank_depth: Annotated[int, typer.Option(min=1, help="How many dense MELO results the ranker re-scores.")] = 100,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding and pairs cache; default <data_dir>/cache/eval.")] = None,
    ranker_hints: RankerHints = True,
) -> None:
    """The ranker's report card in one run: MELO, the judge-labelled job set (with the relevance
    teacher) and click AUROC against popularity."""
    from semstream.models.eval.judged_run import JudgedRunConfig
    from semstream.models.eval.ranker_report import TEACHER, mixlm_name, run_ranker_report
    from semstream.models.ranker.registry import latest_version_dir
    from semstream.schemas import EntityKind

    settings = get_settings()
    melo = melo or settings.shared_data_dir / MELO_USA
    cache = _cache_dir(cache_dir, settings)
    config = JudgedRunConfig(kind=EntityKind.JOB, n_queries=queries, per_query=per_query, cache_dir=cache,
                             shared_data_dir=settings.shared_data_dir, rankers=[ranker, mixlm_name(ranker), TEACHER],
                             ranker_hints=ranker_hints)
    report = run_ranker_report(melo if melo.is_dir() else None, config, make_embedder("minilm", settings, 128), cache,
                               ranker, latest_version_dir(ranker, settings), rerank_depth, limit_queries)
    write_report(report, json_out, ["ndcg@10", "poor_match_rate@10"], f"ranker {ranker}")
    typer.echo(json.dumps(_finite(report["summary"]), indent=1))


# --- query understanding ------------------------------------------------------------------
def _default_cases() -> Path:
    """The case table kept with the tests (present in a source checkout)."""
    import semstream

    return Path(semstream.__file__).resolve().parents[1] / "tests" / "unit" / "qu_cases.json"


def _title_sources(shared: Path) -> dict[str, Path]:
    return {"melo usa_q_en_c_en": shared / MELO_USA, "jobbert test titles": shared / JOBBERT_TEST}


def _title_rows(settings: Settings, limit: int | None) -> dict[str, Any]:
    """acc@1/@5 of the title normaliser on each shared title set that is present."""
    from semstream.models.qu.evaluate import title_normalisation_accuracy
    from semstream.models.qu.titles import TitleNormaliser

    sources = {name: p for name, p in _title_sources(Path(settings.shared_data_dir)).items() if p.exists()}
    if not sources:
        return {}
    normaliser = TitleNormaliser.load(esco_dir(settings.shared_data_dir))
    return {name: title_normalisation_accuracy(path, normaliser, limit) for name, path in sources.items()}


@app.command("qu")
def qu(
    cases: Annotated[Path | None, typer.Option(help="QU case table (JSON); default tests/unit/qu_cases.json.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the JSON report.")] = None,
    titles: Annotated[bool, typer.Option(help="Also title-normalisation acc@1/@5 on MELO and JobBERT titles.")] = True,
    title_limit: Annotated[int | None, typer.Option(min=1, help="Evaluate only the first N pairs of each title set.")] = None,
) -> None:
    """Exact-match accuracy per facet on the QU case table, and title-normalisation accuracy."""
    from semstream.models.qu.evaluate import run_qu_eval

    path = cases or _default_cases()
    if not path.is_file():
        raise typer.BadParameter(f"no QU case table at {path}", param_hint="--cases")
    settings = get_settings()
    report = run_qu_eval(path, settings) | {"cases": str(path)}
    report["titles"] = _title_rows(settings, title_limit) if titles else {}
    typer.echo(f"QU cases: {path} ({report['n']} queries, ESCO {'on' if report['esco'] else 'off'})")
    typer.echo(f"{'facet':<22}{'accuracy':>9}")
    for facet, acc in report["accuracy"].items():
        typer.echo(f"{facet:<22}{acc:>9.4f}")
    typer.echo(f"{'all facets exact':<22}{report['all_facets_exact']:>9.4f}")
    typer.echo(f"cpu ms/query: mean {report['cpu_ms_mean']:.3f}, max {report['cpu_ms_max']:.3f}; failures: {len(report['failures'])}")
    for name, row in report["titles"].items():
        typer.echo(f"title normalisation, {name}: n={row['n']} acc@1={row['acc@1']:.4f} acc@5={row['acc@5']:.4f}")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(_finite(report), indent=2, default=str) + "\n", encoding="utf-8")
        typer.echo(f"report: {json_out}")


@app.command("qu-e2e")
def qu_e2e(
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON report.")],
    kind: Annotated[str, typer.Option(help="job or profile.")] = "job",
    queries: Annotated[int, typer.Option(min=1, help="Natural-language queries to generate.")] = 150,
    max_docs: Annotated[int | None, typer.Option(min=1, help="Cap postings per source (or profiles; default 2000).")] = None,
    pool_depth: Annotated[int, typer.Option(min=10, help="Items per path graded into each query's judged pool.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed for queries (and profiles).")] = 13,
    embedder: Annotated[str, typer.Option(help="minilm (the bi-encoder) or hash (smoke runs).")] = "minilm",
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache; default <data_dir>/cache/eval.")] = None,
) -> None:
    """QU off vs on: NDCG@10 and Poor-Match-Rate@10 on judge-labelled natural-language queries."""
    from semstream.models.eval.qu_e2e import QuE2EConfig, run_qu_e2e

    entity = _entity_kind(kind)
    settings = get_settings()
    config = QuE2EConfig(kind=entity, n_queries=queries, max_docs=max_docs, seed=seed, pool_depth=pool_depth,
                         cache_dir=_cache_dir(cache_dir, settings), shared_data_dir=settings.shared_data_dir)
    report = run_qu_e2e(config, make_embedder(embedder, settings))
    write_report(report, json_out, ["ndcg@10", "ndcg@10_exp", "poor_match_rate@10"], f"QU off vs on, {entity.value} search")
    _print_qu_e2e(report)


def _print_qu_e2e(report: dict[str, Any]) -> None:
    typer.echo(f"{report['n_queries']} queries ({report['n_queries_with_relevant']} with a relevant item), "
               f"{report['corpus_size']} {report['kind']}s; QU filtered {report['qu_filtered_queries']}, "
               f"relaxed {report['qu_relaxed_queries']}")
    for metric, row in report["paired"].items():
        ci = row["ci95"] or [math.nan, math.nan]
        typer.echo(f"{metric:>20}  on-off {row['mean_diff']:+.4f}  95% CI [{ci[0]:+.4f}, {ci[1]:+.4f}]  "
                   f"on better {row['on_better']}, off better {row['off_better']}, ties {row['ties']}")
    typer.echo(f"{'facet':>12} {'n':>4} {'ndcg off':>9} {'ndcg on':>8} {'pmr off':>8} {'pmr on':>7}")
    for facet, row in report["by_facet"].items():
        typer.echo(f"{facet:>12} {row['n']:>4} {row['qu_off_ndcg@10']:>9.4f} {row['qu_on_ndcg@10']:>8.4f} "
                   f"{row['qu_off_poor_match_rate@10']:>8.4f} {row['qu_on_poor_match_rate@10']:>7.4f}")


def _entity_kind(kind: str):
    """``--kind`` as an EntityKind, or a usage error naming the option."""
    from semstream.schemas import EntityKind

    try:
        return EntityKind(kind)
    except ValueError as e:
        raise typer.BadParameter(f"kind must be job or profile, got {kind!r}", param_hint="--kind") from e
