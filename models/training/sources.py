"""The judge-data stage: corpus -> generated queries -> dense candidates -> judged pairs -> simulated
engagement. Reads what exists: the public data folder if present, else the vendored HN sample,
else a tiny built-in corpus (profiles: the synthetic generator, else built-in)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import semstream
from semstream.config import Settings
from semstream.models.data import corpus as corpus_mod
from semstream.models.data.judged import (
    CandidatesFn, JudgedPair, build_judged_pairs, group_by_query, load_pairs, save_pairs, split_by_query,
    with_random_items,
)
from semstream.models.data.queries import for_training, generate_queries
from semstream.models.data.titles import build_title_pairs, is_title_pair
from semstream.models.engagement.schema import EngagementEvent
from semstream.models.engagement.simulator import SimConfig, simulate
from semstream.models.exceptions import ModelError
from semstream.models.item_text import item_text
from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.policy import PolicyJudge
from semstream.models.training.builtin import builtin_jobs, builtin_profiles
from semstream.models.training.profiles import TrainProfile
from semstream.schemas import EntityKind
from semstream.shared_data import HN_JOBS, INDEED_JOBS, esco_dir

Item = tuple[str, dict[str, Any]]
DEMO_HN = Path(semstream.__file__).parent / "demo" / "hn_sample.jsonl"
SPLITS = ("train", "calib", "test")


def job_corpus(settings: Settings, per_source: int) -> tuple[list[Item], str]:
    shared = Path(settings.shared_data_dir)
    if (shared / HN_JOBS).exists() and (shared / INDEED_JOBS).exists():
        return corpus_mod.load_job_corpus(shared, per_source), f"public data ({shared})"
    if DEMO_HN.exists():
        return corpus_mod.load_hn(DEMO_HN, 2 * per_source), "vendored HN sample"
    return builtin_jobs(), "built-in"


def profile_corpus(settings: Settings, n: int, seed: int) -> tuple[list[Item], str]:
    try:
        return corpus_mod.load_profile_corpus(n, seed), "synthetic profiles"
    except (ModelError, ImportError, OSError):
        return builtin_profiles(), "built-in"


def load_esco(settings: Settings) -> EscoIndex | None:
    folder = esco_dir(settings.shared_data_dir)
    try:
        return EscoIndex.load(folder) if folder else None
    except ModelError:
        return None


def dense_candidates(kind: EntityKind, corpus: Sequence[Item], max_chars: int) -> CandidatesFn:
    """Top-k by cosine with all-MiniLM-L6-v2: the same kind of list the ranker sees when serving."""
    from semstream.models.embedder import TransformerEmbedder

    embedder = TransformerEmbedder(max_tokens=128, batch_size=32)
    vectors = embedder.embed([item_text(kind, p, max_chars) for _, p in corpus])

    def candidates(query_text: str, k: int) -> list[Item]:
        scores = vectors @ embedder.embed([query_text])[0]
        return [corpus[i] for i in np.argsort(-scores)[:k]]

    return candidates


@dataclass(frozen=True)
class QuerySet:
    """How one set of judged training queries is drawn: how many, from which seed, how many candidates
    each (``random_share`` of them random items), and which query texts may be drawn."""

    n: int
    seed: int
    per_query: int
    random_share: float
    keep: Callable[[str], bool] = for_training


def judged_queries(kind: EntityKind, corpus: Sequence[Item], esco: EscoIndex | None, spec: QuerySet,
                   max_chars: int) -> list[JudgedPair]:
    """Generated queries over ``corpus``, each with its dense candidates, graded by the policy judge."""
    queries = generate_queries(kind, [p for _, p in corpus], spec.n, spec.seed, esco=esco, keep=spec.keep)
    fn = with_random_items(dense_candidates(kind, corpus, max_chars), corpus, spec.random_share, spec.seed)
    return build_judged_pairs(kind, queries, fn, PolicyJudge(esco), spec.per_query)


def judged_for_kind(kind: EntityKind, corpus: Sequence[Item], profile: TrainProfile, esco: EscoIndex | None) -> list[JudgedPair]:
    spec = QuerySet(profile.queries_per_kind, profile.seed, profile.candidates_per_query, 0.3)
    return judged_queries(kind, corpus, esco, spec, profile.max_chars)


def mixlm_pairs(settings: Settings, profile: TrainProfile, exclude: set[str]) -> list[JudgedPair]:
    """The MixLM stage's extra training queries: per kind, ``profile.mixlm_extra_queries`` generated
    queries (training side, none of ``exclude``), each with its dense top ``mixlm_candidates`` (a fifth
    of them random items), judged; jobs from ``mixlm_corpus_per_source`` postings per source, people
    from the judged pairs' profiles."""
    esco = load_esco(settings)
    corpora = {EntityKind.JOB: job_corpus(settings, profile.mixlm_corpus_per_source)[0],
               EntityKind.PROFILE: profile_corpus(settings, max(200, 2 * profile.corpus_per_source), profile.seed)[0]}
    spec = QuerySet(profile.mixlm_extra_queries, profile.seed + 1, profile.mixlm_candidates, 0.2,
                    keep=lambda text: for_training(text) and text not in exclude)
    pairs: list[JudgedPair] = []
    for kind, corpus in corpora.items():
        try:
            pairs += judged_queries(kind, corpus, esco, spec, profile.max_chars)
        except ModelError:  # a corpus with no usable titles adds no extra queries
            continue
    return pairs


def _judged_or_builtin(kind: EntityKind, corpus: Sequence[Item], source: str, profile: TrainProfile,
                       esco: EscoIndex | None) -> tuple[list[JudgedPair], str]:
    """Judged pairs of ``corpus``; a corpus too varied to build queries from gets the built-in items added."""
    try:
        return judged_for_kind(kind, corpus, profile, esco), source
    except ModelError:
        extra = builtin_jobs() if kind is EntityKind.JOB else builtin_profiles()
        return judged_for_kind(kind, [*corpus, *extra], profile, esco), f"{source} + built-in"


def title_pairs(settings: Settings, profile: TrainProfile, esco: EscoIndex | None) -> list[JudgedPair]:
    """Title-matching pairs over ESCO labels (none without ESCO or when the profile asks for none)."""
    if esco is None or profile.title_queries == 0:
        return []
    from semstream.models.embedder import TransformerEmbedder

    return build_title_pairs(esco, TransformerEmbedder(max_tokens=32, batch_size=64), Path(settings.shared_data_dir),
                             profile.title_queries, profile.candidates_per_query, profile.seed,
                             cache_dir=Path(settings.data_dir) / "cache" / "training", keep=for_training)


def simulate_events(pairs: Sequence[JudgedPair], sessions: int, seed: int) -> list[EngagementEvent]:
    """About ``sessions`` simulated sessions spread over the search queries of ``pairs`` (title-matching
    pairs have no searchers), both verticals."""
    pairs = [p for p in pairs if not is_title_pair(p)]
    events: list[EngagementEvent] = []
    for kind in EntityKind:
        grouped = group_by_query(p for p in pairs if p.kind is kind)
        if grouped:
            per_query = max(2, sessions // max(1, len(group_by_query(pairs))))
            events += simulate(kind, grouped, seed, SimConfig(searchers_per_query=per_query, list_size=20))
    return events


def build_judge_data(settings: Settings, profile: TrainProfile, out: Path) -> dict[str, Any]:
    """Write ``pairs_{train,calib,test}.jsonl`` and ``events_{train,calib}.jsonl``; return a summary."""
    if (out / "data.json").exists():
        return json.loads((out / "data.json").read_text())
    esco = load_esco(settings)
    jobs, job_source = job_corpus(settings, profile.corpus_per_source)
    people, people_source = profile_corpus(settings, max(200, 2 * profile.corpus_per_source), profile.seed)
    job_pairs, job_source = _judged_or_builtin(EntityKind.JOB, jobs, job_source, profile, esco)
    people_pairs, people_source = _judged_or_builtin(EntityKind.PROFILE, people, people_source, profile, esco)
    titles = title_pairs(settings, profile, esco)
    pairs = job_pairs + titles + people_pairs
    train, held = split_by_query(pairs, profile.eval_fraction + profile.calib_fraction, profile.seed)
    calib, test = split_by_query(held, profile.eval_fraction / (profile.eval_fraction + profile.calib_fraction), profile.seed + 1)
    out.mkdir(parents=True, exist_ok=True)
    for name, split in zip(SPLITS, (train, calib, test)):
        save_pairs(split, out / f"pairs_{name}.jsonl")
    calib_sessions = max(1, int(profile.engagement_sessions * profile.calib_fraction))
    for name, split, sessions, seed in (("train", train, profile.engagement_sessions, profile.seed),
                                        ("calib", calib, calib_sessions, profile.seed + 7)):
        save_events(simulate_events(split, sessions, seed), out / f"events_{name}.jsonl")
    summary = {"jobs": {"source": job_source, "items": len(jobs)}, "people": {"source": people_source, "items": len(people)},
               "esco": esco is not None, "title_pairs": len(titles), "pairs": {n: len(s) for n, s in zip(SPLITS, (train, calib, test))},
               "queries": {n: len(group_by_query(s)) for n, s in zip(SPLITS, (train, calib, test))}}
    (out / "data.json").write_text(json.dumps(summary, indent=1))
    return summary


def save_events(events: Sequence[EngagementEvent], path: Path) -> None:
    path.write_text("".join(e.model_dump_json() + "\n" for e in events))


def load_events(path: Path) -> list[EngagementEvent]:
    with path.open() as f:
        return [EngagementEvent.model_validate_json(line) for line in f if line.strip()]


def load_split(out: Path, name: str) -> list[JudgedPair]:
    return load_pairs(out / f"pairs_{name}.jsonl")
