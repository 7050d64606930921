"""End-to-end value of query understanding: the same queries with QU off and on, graded by the judge.

1. Corpus: real postings as ``JobEvent``s (HN + Indeed loaders) or synthetic ``ProfileEvent``s,
   turned into store documents by ingest's own ``to_document`` (so the payload carries the
   normalised filter keys QU filters on), embedded (cached) and held in a ``MemoryStore``.
2. Queries: natural-language queries with a structured intent (``qu_queries.natural_queries``).
3. Two paths per query, both through the serving stages' plain classes (no Ray):
   * **QU off**: ``RetrievalService`` over the raw text, no filters;
   * **QU on**: ``UnderstandingService`` (parse, hard filters, relaxation ladder) then
     ``RetrievalService`` over the rewrite with the filters, strict matches first, relaxing while
     fewer than ``k`` match — exactly what the search ingress asks retrieval for.
   No ranker runs: the comparison isolates what QU changes in retrieval.
4. Judging: every item in either path's top ``pool_depth`` is graded by the policy judge against the
   query's structured intent; an item whose title or listed skills name a term the query rules out
   ("no blockchain") is capped at grade 1 (the judge's query schema has no exclusion field).
   QU and the judge share one reference time: the newest posting in the corpus.
5. Metrics per query: NDCG@10 with linear gains (ideal = the best 10 grades in the judged pool of
   both paths) and Poor-Match-Rate@10 (share of the top 10 graded <= 1); means over queries, the
   paired difference with a bootstrap 95% interval, wins/losses, and a breakdown per stated facet.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from semstream.actors.documents import text_to_embed, to_document
from semstream.deployments.retrieval import RetrievalService
from semstream.deployments.stages import Candidate, RetrieveRequest, UnderstandRequest
from semstream.deployments.understanding import UnderstandingService
from semstream.models.embedder import Embedder
from semstream.models.eval.cache import embed_cached, embedder_label, machine_info
from semstream.models.eval.metrics import exp_gains, ndcg_at_k, poor_match_rate_at_k
from semstream.models.eval.qu_queries import NLQuery, natural_queries
from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.facts import facts_of, parse_time
from semstream.models.judge.policy import PolicyJudge
from semstream.models.judge.text import phrase_in, tokens
from semstream.models.qu.schema import ParsedQuery
from semstream.schemas import EntityEvent, EntityKind
from semstream.shared_data import HN_JOBS, INDEED_JOBS, esco_dir
from semstream.store.filters import Filter
from semstream.store.memory import MemoryStore

ITEM_CHARS = 2000  # text cap before embedding (the embedder truncates to its token cap anyway)
POOR_GRADE = 1
METHODS = ("qu_off", "qu_on")


@dataclass
class QuE2EConfig:
    kind: EntityKind = EntityKind.JOB
    n_queries: int = 150
    max_docs: int | None = None  # postings per source (jobs) or number of profiles (default 2000)
    seed: int = 13
    k: int = 10
    pool_depth: int = 30
    cache_dir: Path | None = None
    shared_data_dir: Path = Path("../shared/data")


# --- corpus and index ----------------------------------------------------------------------
def load_events(config: QuE2EConfig) -> list[EntityEvent]:
    """Real postings (HN then Indeed) or seeded synthetic profiles, as ingest receives them."""
    root = Path(config.shared_data_dir)
    if config.kind is EntityKind.JOB:
        from semstream.topics.loaders import hn_job_events, indeed_job_events

        return [*hn_job_events(root / HN_JOBS, config.max_docs), *indeed_job_events(root / INDEED_JOBS, config.max_docs)]
    from semstream.topics.profiles import synthetic_profiles

    return list(synthetic_profiles(config.max_docs or 2000, config.seed, esco_dir(root)))


def build_index(kind: EntityKind, events: Sequence[EntityEvent], embedder: Embedder,
                cache_dir: Path | None) -> tuple[MemoryStore, dict[str, Any]]:
    """Documents built by ingest's ``to_document`` with their (cached) vectors, in a MemoryStore."""
    texts = [text_to_embed(kind, e)[:ITEM_CHARS] for e in events]
    vectors, info = embed_cached(embedder, texts, cache_dir, f"qu-e2e-{kind.value}")
    store = MemoryStore()
    store.ensure_collection(kind, int(vectors.shape[1]))
    store.apply([to_document(kind, e, v.tolist(), None) for e, v in zip(events, vectors, strict=True)])
    return store, info


def reference_time(events: Sequence[EntityEvent]) -> datetime | None:
    """The newest posting (or profile update): 'now' for recency, for QU and the judge alike."""
    fields = [e.fields() for e in events]
    dates = [d for f in fields if (d := parse_time(f.get("posted_at") or f.get("updated_at"))) is not None]
    return max(dates) if dates else None


# --- the two retrieval paths -----------------------------------------------------------------
class AsOf:
    """A QueryUnderstanding whose relative dates ("this week") count from a fixed time."""

    def __init__(self, qu: Any, now: datetime | None) -> None:
        self.qu, self.now = qu, now

    def understand(self, text: str, kind: EntityKind, explicit_filters: Filter | None = None
                   ) -> tuple[ParsedQuery, Filter, list[str]]:
        return self.qu.understand(text, kind, explicit_filters, now=self.now)

    def ladder(self, parsed: ParsedQuery, explicit_filters: Filter | None = None) -> list[Filter]:
        return self.qu.ladder(parsed, explicit_filters)


class Paths:
    """QU off and QU on over one index, through the serving stages' plain classes."""

    def __init__(self, store: MemoryStore, embedder: Embedder, qu: Any, now: datetime | None, k: int = 10) -> None:
        self.store = store
        self.retrieval = RetrievalService(store, embedder)
        self.understanding = UnderstandingService(AsOf(qu, now))
        self.k = k

    def off(self, kind: EntityKind, text: str, depth: int) -> list[Candidate]:
        req = RetrieveRequest(kind=kind, text=text, k=depth, min_hits=self.k, ship=depth)
        return self.retrieval.retrieve(req).candidates

    def on(self, kind: EntityKind, text: str, depth: int) -> tuple[list[Candidate], dict[str, Any]]:
        u = self.understanding.understand(UnderstandRequest(kind=kind, text=text))
        req = RetrieveRequest(kind=kind, text=u.retrieval_text(), flt=u.flt, k=depth, min_hits=self.k,
                              relaxations=u.relaxations, ship=depth)
        r = self.retrieval.retrieve(req)
        strict = sum(1 for c in r.candidates[: self.k] if c.tier == 0)
        info = {"rewrite": u.retrieval_text(), "filter": u.flt.model_dump(exclude_defaults=True),
                "relaxed": r.relaxed, "strict_in_top_k": strict}
        return r.candidates, info

    def payloads(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole stored payloads (without ``_`` keys): the judge reads these, whatever retrieval ships."""
        return {h.id: clean_payload(h.payload) for h in self.store.get(kind, list(ids))}


# --- judging -----------------------------------------------------------------------------------
def clean_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without store-maintained ``_`` keys."""
    return {k: v for k, v in payload.items() if not k.startswith("_")}


def names_excluded(kind: EntityKind, payload: dict[str, Any], excluded: Sequence[str]) -> str | None:
    """The first ruled-out term the item's titles or listed skills name, if any."""
    facts = facts_of(kind, payload)
    title_tokens = tokens(" ".join(facts.titles))
    for term in excluded:
        key = tokens(term)
        if " ".join(key) in facts.skills or phrase_in(key, title_tokens):
            return term
    return None


def grade(judge: PolicyJudge, query: NLQuery, kind: EntityKind, payload: dict[str, Any]) -> tuple[int, str]:
    """The policy grade, capped at 1 when the item is what the query rules out."""
    verdict = judge.grade(query.judge, kind, payload)
    term = names_excluded(kind, payload, query.excluded)
    if term is not None and verdict.grade > POOR_GRADE:
        return POOR_GRADE, f"{verdict.rationale}; names excluded '{term}' -> {POOR_GRADE}"
    return verdict.grade, verdict.rationale


# --- metrics ------------------------------------------------------------------------------------
def query_metrics(ranked: dict[str, list[str]], grades: dict[str, int], k: int = 10) -> dict[str, dict[str, float]]:
    """NDCG@k (linear and exponential gains; NaN when the pool has no positive grade) and PMR@k per method."""
    positive = any(g > 0 for g in grades.values())
    gains = {i: float(g) for i, g in grades.items()}
    out: dict[str, dict[str, float]] = {}
    for method, ids in ranked.items():
        out[method] = {
            "ndcg@10": ndcg_at_k(ids, gains, k) if positive else math.nan,
            "ndcg@10_exp": ndcg_at_k(ids, exp_gains(gains), k) if positive else math.nan,
            "poor_match_rate@10": poor_match_rate_at_k(ids, grades, k, threshold=POOR_GRADE),
            "mean_grade@10": float(np.mean([grades[i] for i in ids[:k]])) if ids else 0.0,
        }
    return out


def summarise(rows: Sequence[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """Per-method means, paired differences (on - off) with a bootstrap 95% interval, wins/losses."""
    metrics = ("ndcg@10", "ndcg@10_exp", "poor_match_rate@10", "mean_grade@10")
    methods = {m: {x: _nanmean([r["metrics"][m][x] for r in rows]) for x in metrics} for m in METHODS}
    paired: dict[str, Any] = {}
    for x in metrics:
        diffs = [r["metrics"]["qu_on"][x] - r["metrics"]["qu_off"][x] for r in rows]
        diffs = [d for d in diffs if not math.isnan(d)]
        paired[x] = {"mean_diff": _nanmean(diffs), "ci95": bootstrap_ci(diffs, seed),
                     "on_better": sum(d > 1e-9 for d in diffs), "off_better": sum(d < -1e-9 for d in diffs),
                     "ties": sum(abs(d) <= 1e-9 for d in diffs)}
    # lower is better for the poor-match rate: "on_better" counts queries where it went down
    pmr = paired["poor_match_rate@10"]
    pmr["on_better"], pmr["off_better"] = pmr["off_better"], pmr["on_better"]
    return {"methods": methods, "paired": paired}


def bootstrap_ci(values: Sequence[float], seed: int = 0, n: int = 2000) -> list[float] | None:
    """Percentile bootstrap 95% interval of the mean (None for fewer than two values)."""
    if len(values) < 2:
        return None
    arr = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(n, len(arr)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)]


def by_facet(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean metrics of the queries that state each facet (a query counts under each of its facets)."""
    out: dict[str, dict[str, Any]] = {}
    names = sorted({f for r in rows for f in r["facets"]} | {"role only"})
    for name in names:
        group = [r for r in rows if (name in r["facets"]) or (name == "role only" and r["facets"] == ["role"])]
        if group:
            out[name] = {"n": len(group)} | {
                f"{m}_{x}": round(_nanmean([r["metrics"][m][x] for r in group]), 4)
                for m in METHODS for x in ("ndcg@10", "poor_match_rate@10")
            }
    return out


def _nanmean(values: Sequence[float]) -> float:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    return float(arr.mean()) if arr.size else math.nan


# --- the run ----------------------------------------------------------------------------------
def evaluate_queries(kind: EntityKind, queries: Sequence[NLQuery], paths: Paths, judge: PolicyJudge,
                     pool_depth: int) -> list[dict[str, Any]]:
    """One row per query: both rankings, the judged pool, QU's filter and relaxations, the metrics."""
    rows = []
    for q in queries:
        off = paths.off(kind, q.text, pool_depth)
        on, info = paths.on(kind, q.text, pool_depth)
        payloads = paths.payloads(kind, list(dict.fromkeys(c.id for c in itertools.chain(off, on))))
        graded = {i: grade(judge, q, kind, p) for i, p in payloads.items()}
        grades = {i: g for i, (g, _) in graded.items()}
        ranked = {"qu_off": [c.id for c in off][: paths.k], "qu_on": [c.id for c in on][: paths.k]}
        rows.append({
            "query": q.text, "intent": q.judge.model_dump(exclude_none=True, exclude_defaults=True),
            "excluded": q.excluded, "facets": q.facets(), "qu": info, "pool": len(grades),
            "top": {m: [[i, grades[i]] for i in ids] for m, ids in ranked.items()},
            "metrics": query_metrics(ranked, grades, paths.k),
        })
    return rows


def run_qu_e2e(config: QuE2EConfig, embedder: Embedder, qu: Any = None) -> dict[str, Any]:
    """The whole comparison; returns the JSON-ready report."""
    from semstream.models.qu.service import QueryUnderstanding

    events = load_events(config)
    store, embedding = build_index(config.kind, events, embedder, config.cache_dir)
    esco_folder = esco_dir(config.shared_data_dir)
    esco = EscoIndex.load(esco_folder) if esco_folder else None
    qu = qu or QueryUnderstanding.load(esco_folder)
    now = reference_time(events)
    queries = natural_queries(config.kind, [e.fields() for e in events], config.n_queries, config.seed, esco)
    paths = Paths(store, embedder, qu, now, config.k)
    rows = evaluate_queries(config.kind, queries, paths, PolicyJudge(esco, now=now), config.pool_depth)
    summary = summarise(rows, config.seed)
    return summary | {
        "kind": config.kind.value, "n_queries": len(rows),
        "n_queries_with_relevant": sum(1 for r in rows if not math.isnan(r["metrics"]["qu_off"]["ndcg@10"])),
        "qu_filtered_queries": sum(1 for r in rows if r["qu"]["filter"]),
        "qu_relaxed_queries": sum(1 for r in rows if r["qu"]["relaxed"]),
        "by_facet": by_facet(rows), "corpus_size": len(events), "reference_time": now.isoformat() if now else None,
        "embedder": embedder_label(embedder), "embedding": embedding, "esco": esco is not None,
        "seed": config.seed, "k": config.k, "pool_depth": config.pool_depth, "judge": "policy",
        "machine": machine_info(), "queries": rows,
    }


def sample_rows(rows: Sequence[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """A reproducible sample of rows (for printing examples)."""
    return random.Random(seed).sample(list(rows), min(n, len(rows)))
