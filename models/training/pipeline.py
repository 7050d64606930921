"""The training pipeline in resumable stages: judge-data -> teachers -> student (+ calibration, eval,
versioned artifact). Each stage writes under ``<data_dir>/training/<profile>/`` and is skipped when
its output is complete; an interrupted training stage resumes from its last checkpoint."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from semstream.config import Settings
from semstream.models.data.judged import load_pairs, save_pairs
from semstream.models.embedder import bundled_minilm_path
from semstream.models.ranker.artifacts import RankerConfig, load_scorer, write_artifact
from semstream.models.ranker.mixlm import MIXLM_DIR
from semstream.models.ranker.slm import SlmRanker
from semstream.models.training import sources
from semstream.models.training.convert import (
    ALL_ACTIONS, ENGAGEMENT_ACTIONS, HintSource, action_mask, engagement_examples, qu_hint_source, relevance_examples,
)
from semstream.models.training.distill import predict, train_student
from semstream.models.training.engagement_eval import click_auroc
from semstream.models.training.evaluate import fit_calibrators, relevance_report
from semstream.models.training.examples import Example
from semstream.models.training.exceptions import TrainingError
from semstream.models.training.fusion_fit import fit_fusion, served_scores
from semstream.models.training.mixlm_fit import fit_mixlm, ingest_embedder
from semstream.models.training.profiles import TrainProfile, get_profile
from semstream.models.training.teachers import init_scorer, template_for, train_engagement_teacher, train_relevance_teacher
from semstream.models.training.vectors import with_retrieval

STAGES = ("judge-data", "teachers", "student", "all")
TEACHER_NAME = "relevance-teacher"
Log = Callable[[str], None]


_STARTED = time.monotonic()


def _stderr(message: str) -> None:
    """A progress line with the seconds since this module loaded (the command's start), so each step's cost is readable."""
    print(f"{time.monotonic() - _STARTED:7.0f}s {message}", file=sys.stderr, flush=True)


def configure_threads(settings: Settings) -> None:
    import torch

    torch.set_num_threads(settings.torch_threads or max(1, os.cpu_count() or 1))


class Workspace:
    """Folders of one profile's run."""

    def __init__(self, settings: Settings, profile: TrainProfile) -> None:
        self.root = Path(settings.data_dir) / "training" / profile.name
        self.shared_data_dir = Path(settings.shared_data_dir)
        self.data, self.relevance = self.root / "data", self.root / "relevance-teacher"
        self.engagement, self.student = self.root / "engagement-teacher", self.root / "student"


def _qu_hints(shared_data_dir: Path) -> HintSource:
    from semstream.models.qu.service import QueryUnderstanding

    return qu_hint_source(QueryUnderstanding.shared(shared_data_dir))


def _examples(ws: Workspace, profile: TrainProfile, split: str) -> list[Example]:
    return relevance_examples(sources.load_split(ws.data, split), profile.hint_rate, profile.seed,
                              _qu_hints(ws.shared_data_dir))


def _mixlm_extra(settings: Settings, ws: Workspace, profile: TrainProfile) -> list[Example]:
    """The MixLM stage's extra training queries (built once, kept beside the judged pairs), none of
    them a query of the judged splits."""
    if not profile.mixlm_extra_queries:
        return []
    path = ws.data / "pairs_mixlm.jsonl"
    if not path.exists():
        judged = {p.query.text for split in sources.SPLITS for p in sources.load_split(ws.data, split)}
        save_pairs(sources.mixlm_pairs(settings, profile, judged), path)
    return relevance_examples(load_pairs(path), profile.hint_rate, profile.seed, _qu_hints(ws.shared_data_dir))


def _engagement(ws: Workspace, profile: TrainProfile, split: str) -> list[Example]:
    events = sources.load_events(ws.data / f"events_{split}.jsonl")
    return engagement_examples(events, sources.load_split(ws.data, split), profile.hint_rate, profile.seed,
                               hints=_qu_hints(ws.shared_data_dir))


def stage_judge_data(settings: Settings, profile: TrainProfile, log: Log = _stderr) -> dict[str, Any]:
    log(f"[judge-data] building judged pairs and simulated engagement ({profile.name})")
    summary = sources.build_judge_data(settings, profile, Workspace(settings, profile).data)
    if summary["pairs"]["train"] == 0 or summary["pairs"]["test"] == 0:
        raise TrainingError(f"judge-data produced too few pairs to train and test: {summary['pairs']}")
    return summary


def stage_teachers(settings: Settings, profile: TrainProfile, progress: bool = True, base: Path | None = None,
                   log: Log = _stderr) -> dict[str, Any]:
    ws = Workspace(settings, profile)
    base = base or bundled_minilm_path()
    log(f"[teachers] relevance teacher from {base.name}")
    rel = train_relevance_teacher(_examples(ws, profile, "train"), base, profile, ws.relevance, progress)
    log("[teachers] engagement teacher (warm start from the relevance teacher)")
    eng = train_engagement_teacher(_engagement(ws, profile, "train"), ws.relevance, ALL_ACTIONS, profile,
                                   ws.engagement, progress)
    return {"relevance": rel, "engagement": eng}


def stage_student(settings: Settings, profile: TrainProfile, progress: bool = True, name: str = "default",
                  base: Path | None = None, log: Log = _stderr) -> dict[str, Any]:
    """Distil, calibrate per objective and position, evaluate on held-out queries, write a version."""
    from semstream.models.ranker.registry import new_version_dir

    ws = Workspace(settings, profile)
    train = _examples(ws, profile, "train")
    mask = np.array([action_mask(ex.query.kind) for ex in train])
    log(f"[student] distilling into {profile.student_layers} layers (alpha={profile.alpha})")
    report = train_student(train, ws.relevance, ws.engagement, ALL_ACTIONS, mask, profile, ws.student, progress)
    student, tokenizer = load_scorer(ws.student / "model", 1 + len(ALL_ACTIONS))
    rel_calib, eng_calib = _examples(ws, profile, "calib"), _engagement(ws, profile, "calib")
    log("[student] fitting isotonic calibrators on the calibration split")
    calibrators = fit_calibrators(rel_calib, predict(student, tokenizer, profile, rel_calib)[:, 0], eng_calib,
                                  predict(student, tokenizer, profile, eng_calib)[:, 1:], ALL_ACTIONS)
    objectives = ["relevance", *ALL_ACTIONS]
    ranker = SlmRanker(student, tokenizer, template_for(profile), profile.max_tokens, objectives, calibrators)
    log("[student] choosing the fusion weights of the served score on the calibration split")
    embedder = ingest_embedder(settings)
    calib_scored = with_retrieval(rel_calib, embedder)
    fitted, fusion = fit_fusion(ranker, calib_scored)
    ranker.set_fusion(fitted)
    log("[student] evaluating on held-out queries")
    evaluation = evaluate_all(ws, profile, ranker, base or bundled_minilm_path())
    extras = []
    if profile.mixlm_epochs:
        extra = _mixlm_extra(settings, ws, profile)
        vectors = "retrieval and facts vectors" if profile.mixlm_facts_vector else "retrieval vectors"
        log(f"[student] fitting the MixLM adapter (items as their {vectors}; {len(extra)} extra pairs)")
        mix, evaluation["mixlm"] = fit_mixlm(ranker, train, calib_scored, _examples(ws, profile, "test"), profile,
                                             embedder, progress, extra)
        extras.append(lambda tmp: mix.save(tmp / MIXLM_DIR))
    directory = new_version_dir(name, settings)
    config = RankerConfig(
        name=name, version=directory.name, backbone=f"all-MiniLM-L6-v2 run causally, first {report['layers']} layers, distilled",
        layers=report["layers"], template=template_for(profile), max_tokens=profile.max_tokens, objectives=objectives,
        profile=profile.model_dump(), metrics=evaluation["student_calibrated"], **ranker.fusion_fields(),
    )
    evaluation["retrieval_fusion"] = fusion
    write_artifact(directory, student, tokenizer, config, calibrators, {"student": report, **evaluation}, extras)
    log(f"[student] wrote {directory}")
    teacher = register_teacher(settings, ws, profile, evaluation["relevance_teacher"])
    return {"artifact": str(directory), "version": directory.name, "student": report, "eval": evaluation,
            "relevance_teacher_artifact": str(teacher)}


def register_teacher(settings: Settings, ws: Workspace, profile: TrainProfile, metrics: dict[str, Any]) -> Path:
    """The relevance teacher as a named ranker (``relevance-teacher``), so evaluations can load it by name."""
    from semstream.models.ranker.calibration import CalibratorSet
    from semstream.models.ranker.registry import new_version_dir

    scorer, tokenizer = load_scorer(ws.relevance / "model", 1)
    directory = new_version_dir(TEACHER_NAME, settings)
    config = RankerConfig(
        name=TEACHER_NAME, version=directory.name, backbone="all-MiniLM-L6-v2 run causally, relevance teacher",
        layers=int(scorer.lm.config.num_hidden_layers), template=template_for(profile), max_tokens=profile.max_tokens,
        objectives=["relevance"], profile=profile.model_dump(), metrics=metrics,
    )
    return write_artifact(directory, scorer, tokenizer, config, CalibratorSet(), {"relevance_teacher": metrics})


def evaluate_all(ws: Workspace, profile: TrainProfile, ranker: SlmRanker, base: Path) -> dict[str, Any]:
    """NDCG@10 / AUROC / ECE on the test split: retrieval order, untrained base, teacher, student."""
    test = _examples(ws, profile, "test")
    untrained, tok = init_scorer(base, 1, profile.teacher_layers)
    teacher, tok = load_scorer(ws.relevance / "model", 1)
    order = -np.array([ex.position for ex in test], dtype=np.float64)  # dense retrieval's own order
    out = {"retrieval_order": {"ndcg@10": relevance_report(test, order)["ndcg@10"]},
           "untrained": relevance_report(test, predict(untrained, tok, profile, test)[:, 0]),
           "relevance_teacher": relevance_report(test, predict(teacher, tok, profile, test)[:, 0]),
           "student_raw": relevance_report(test, predict(ranker.scorer, ranker.tokenizer, profile, test)[:, 0])}
    out["student_calibrated"] = relevance_report(test, served_scores(ranker, test))
    out["click_auroc"] = evaluate_clicks(ws, profile, ranker)
    return out


def evaluate_clicks(ws: Workspace, profile: TrainProfile, student: SlmRanker) -> dict[str, Any]:
    """Click AUROC on the calibration split's sessions, which no model trained on (the student's calibrators
    were fitted there, so its raw scores are used): engagement teacher, student, popularity."""
    held = _engagement(ws, profile, "calib")
    teacher, tok = load_scorer(ws.engagement / "model", len(ALL_ACTIONS))
    p_teacher = predict(teacher, tok, profile, held)
    p_student = predict(student.scorer, student.tokenizer, profile, held)[:, 1:]
    column = {ex.query.kind: ALL_ACTIONS.index(ENGAGEMENT_ACTIONS[ex.query.kind][0]) for ex in held}
    by_key = {(ex.query.text, ex.item.id): i for i, ex in enumerate(held)}

    def model(p: np.ndarray) -> Callable[[tuple[str, str]], float]:
        return lambda key: float(p[by_key[key], column[held[by_key[key]].query.kind]]) if key in by_key else 0.0

    return click_auroc(sources.load_events(ws.data / "events_train.jsonl"),
                       sources.load_events(ws.data / "events_calib.jsonl"),
                       {"engagement_teacher": model(p_teacher), "student": model(p_student)})


def run(stage: str, settings: Settings, profile_name: str = "quick", progress: bool = True, name: str = "default",
        log: Log = _stderr) -> dict[str, Any]:
    """Run one stage (or ``all``) and return a JSON-ready report with stage timings."""
    if stage not in STAGES:
        raise TrainingError(f"unknown stage {stage!r}; choose one of {STAGES}")
    profile = get_profile(profile_name)
    configure_threads(settings)
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "judge-data": lambda: stage_judge_data(settings, profile, log),
        "teachers": lambda: stage_teachers(settings, profile, progress, log=log),
        "student": lambda: stage_student(settings, profile, progress, name, log=log),
    }
    report: dict[str, Any] = {"profile": profile.name, "stages": {}}
    for key, runner in runners.items():
        if stage in (key, "all"):
            started = time.perf_counter()
            result = runner()
            report["stages"][key] = {"result": result, "seconds": round(time.perf_counter() - started, 1)}
    return report
