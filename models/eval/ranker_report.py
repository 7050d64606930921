"""The ranker's report card in one run: MELO (dense vs dense + ranker), the judge-labelled job set
(dense, BM25, relevance teacher, student) and click AUROC (engagement teacher, student, popularity).
The student is evaluated as its text ranker; ``NAME:mixlm`` rows give its MixLM mode beside it.

Click AUROC is measured at training time on held-out simulated sessions and stored in the ranker
version's ``eval.json``; this report reads it from there, next to the version it describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from semstream.models.embedder import Embedder
from semstream.models.eval.judged_run import JudgedRunConfig, run_judged
from semstream.models.eval.rankers import qu_hints
from semstream.models.eval.trec import run_trec

TEACHER = "relevance-teacher"
EVAL_FILE = "eval.json"


def training_eval(version_dir: Path | None) -> dict[str, Any]:
    """The held-out figures training wrote beside the ranker (empty when there is no such file)."""
    path = version_dir / EVAL_FILE if version_dir else None
    return json.loads(path.read_text()) if path and path.exists() else {}


def mixlm_name(ranker: str) -> str:
    """The spec that evaluates ``ranker``'s MixLM mode (items as their stored vectors)."""
    return f"{ranker}:mixlm"


def gain(base: float | None, new: float | None) -> float | None:
    return None if base in (None, 0) or new is None else round((new - base) / base, 4)


def summary(melo: dict[str, Any] | None, judged: dict[str, Any], trained: dict[str, Any], ranker: str) -> dict[str, Any]:
    """The figures the acceptance targets name, read out of the three parts."""
    out: dict[str, Any] = {}
    if melo:
        dense, ranked = melo["methods"]["dense"]["ndcg@10"], melo["methods"].get(f"dense+{ranker}", {}).get("ndcg@10")
        alone = melo["methods"].get(f"dense+{ranker}(ranker alone)", {}).get("ndcg@10")
        mixlm = melo["methods"].get(f"dense+{mixlm_name(ranker)}", {}).get("ndcg@10")
        out["melo"] = {"dense_ndcg@10": dense, "ranker_ndcg@10": ranked, "relative_gain": gain(dense, ranked),
                       "ranker_alone_ndcg@10": alone, "ranker_alone_relative_gain": gain(dense, alone),
                       "mixlm_ndcg@10": mixlm, "mixlm_relative_gain": gain(dense, mixlm)}
    methods = judged["methods"]
    row = lambda name: {k: methods[name][k] for k in ("ndcg@10", "poor_match_rate@10")} if name in methods else None  # noqa: E731
    out["judged"] = {"dense": row("dense"), "bm25": row("bm25"), "relevance_teacher": row(TEACHER),
                     "student": row(ranker), "student_alone": row(f"{ranker}(ranker alone)"),
                     "mixlm": row(mixlm_name(ranker))}
    if out["judged"]["student"] and out["judged"]["relevance_teacher"]:
        out["judged"]["student_minus_teacher"] = round(
            out["judged"]["student"]["ndcg@10"] - out["judged"]["relevance_teacher"]["ndcg@10"], 4)
    out["click_auroc"] = trained.get("click_auroc")
    out["mixlm_held_out"] = (trained.get("mixlm") or {}).get("test")
    return out


def run_ranker_report(melo_dir: Path | None, judged_config: JudgedRunConfig, embedder: Embedder, cache_dir: Path,
                      ranker: str, version_dir: Path | None, rerank_depth: int = 100,
                      limit_queries: int | None = None,
                      load_ranker: Callable[[str], tuple[Any, str]] | None = None) -> dict[str, Any]:
    hints = qu_hints(judged_config.shared_data_dir) if judged_config.ranker_hints else None
    melo = (run_trec(melo_dir, embedder, cache_dir, rankers=[ranker, mixlm_name(ranker)], limit_queries=limit_queries,
                     rerank_depth=rerank_depth, load_ranker=load_ranker, hints=hints) if melo_dir else None)
    judged = run_judged(judged_config, embedder)
    trained = training_eval(version_dir)
    methods = {f"judged/{k}": v for k, v in judged["methods"].items()}
    if melo:
        methods |= {f"melo/{k}": v for k, v in melo["methods"].items()}
    return {"ranker": ranker, "version": version_dir.name if version_dir else None,
            "summary": summary(melo, judged, trained, ranker), "methods": methods,
            "melo": melo, "judged": judged, "training_eval": trained}
