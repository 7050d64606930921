"""The ``semstream eval judged`` pipeline: corpus -> index -> queries -> judged pairs -> report.

1. Load the corpus (HN + Indeed postings, or synthetic profiles) and embed it (cached).
2. Index it in a ``MemoryStore`` (exact search).
3. Generate template queries (held-out texts only: training never draws them); for each, take the
   dense top candidates plus a share of random items, and grade every pair with the policy judge
   (or an LLM judge). Pairs are cached as JSONL.
4. Score the pairs with dense cosine, BM25, a seeded random order and any named rankers, and
   report NDCG@10 / Poor-Match-Rate@10 / AUROC per scorer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from semstream.models.data.corpus import load_job_corpus, load_profile_corpus
from semstream.models.data.judged import (
    JudgedPair,
    build_judged_pairs,
    dense_candidates,
    load_pairs,
    save_pairs,
    with_random_items,
)
from semstream.models.data.queries import generate_queries, held_out
from semstream.models.embedder import Embedder
from semstream.models.eval.bm25 import Bm25
from semstream.models.eval.cache import embed_cached, embedder_label, machine_info
from semstream.models.eval.judged import evaluate_rankers
from semstream.models.eval.rankers import (
    Scorer, bm25_scorer, load_named_scorers, qu_hints, random_scorer, vector_scorer,
)
from semstream.models.facts import as_stored
from semstream.models.item_text import item_facts, item_text
from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.facts import parse_time
from semstream.models.judge.schema import Judge
from semstream.schemas import Document, EntityKind
from semstream.shared_data import esco_dir
from semstream.store.memory import MemoryStore

ITEM_CHARS = 2000  # item text cap before embedding (the embedder truncates to its token cap anyway)
Item = tuple[str, dict[str, Any]]


@dataclass
class JudgedRunConfig:
    kind: EntityKind = EntityKind.JOB
    n_queries: int = 150
    per_query: int = 50
    random_fraction: float = 0.2
    seed: int = 13
    pairs_path: Path | None = None
    rebuild: bool = False
    max_docs: int | None = None
    cache_dir: Path | None = None
    shared_data_dir: Path = Path("../shared/data")
    rankers: list[str] = field(default_factory=list)
    judge_url: str | None = None
    judge_model: str = "judge"
    judge_api_key: str | None = field(default=None, repr=False)
    ranker_hints: bool = True  # rankers see query understanding's hints for each query, as served


def load_corpus(config: JudgedRunConfig) -> list[Item]:
    if config.kind is EntityKind.JOB:
        return load_job_corpus(config.shared_data_dir, config.max_docs)
    return load_profile_corpus(config.max_docs or 2000, config.seed)


def index_corpus(kind: EntityKind, items: list[Item], vectors: np.ndarray) -> MemoryStore:
    store = MemoryStore()
    store.ensure_collection(kind, int(vectors.shape[1]))
    store.apply([Document(kind=kind, id=i, version=1, vector=v.tolist(), payload=p)
                 for (i, p), v in zip(items, vectors, strict=True)])
    return store


def make_judge(config: JudgedRunConfig, esco: EscoIndex | None, items: list[Item]) -> tuple[Judge, str]:
    """The LLM judge when a URL is given, else the policy judge with the corpus' newest date as 'now'."""
    if config.judge_url:
        from semstream.models.judge.llm import LlmJudge

        return LlmJudge(config.judge_url, config.judge_model, config.judge_api_key), f"llm:{config.judge_model}"
    from semstream.models.judge.policy import PolicyJudge

    dates = [d for _, p in items if (d := parse_time(p.get("posted_at"))) is not None]
    now: datetime | None = max(dates) if dates else None
    return PolicyJudge(esco, now=now), "policy"


def judged_pairs(config: JudgedRunConfig, embedder: Embedder, items: list[Item], vectors: np.ndarray,
                 esco: EscoIndex | None) -> tuple[list[JudgedPair], dict[str, Any]]:
    """Load the cached pairs or build them; returns (pairs, provenance)."""
    judge, judge_name = make_judge(config, esco, items)
    path = config.pairs_path or _default_pairs_path(config, judge_name, embedder_label(embedder), items)
    if path.is_file() and not config.rebuild:
        return load_pairs(path), {"pairs_file": str(path), "pairs_cached": True, "judge": judge_name}
    store = index_corpus(config.kind, items, vectors)
    queries = generate_queries(config.kind, [p for _, p in items], config.n_queries, config.seed, esco, keep=held_out)
    candidates = with_random_items(dense_candidates(store, embedder, config.kind), items,
                                   config.random_fraction, config.seed)
    pairs = build_judged_pairs(config.kind, queries, candidates, judge, config.per_query)
    save_pairs(pairs, path)
    return pairs, {"pairs_file": str(path), "pairs_cached": False, "judge": judge_name}


def scorers(config: JudgedRunConfig, embedder: Embedder, items: list[Item], vectors: np.ndarray,
            texts: list[str]) -> tuple[dict[str, Scorer], dict[str, str]]:
    """Dense, BM25, random and named rankers; the statuses say which rankers were unavailable."""
    by_id = {item_id: vectors[n] for n, (item_id, _) in enumerate(items)}
    out: dict[str, Scorer] = {
        "dense": vector_scorer(embedder, by_id),
        "bm25": bm25_scorer(Bm25(texts), {item_id: n for n, (item_id, _) in enumerate(items)}),
        "random": random_scorer(config.seed),
    }
    statuses: dict[str, str] = {}
    hints = qu_hints(config.shared_data_dir) if config.ranker_hints and config.rankers else None
    facts = facts_vectors(config, embedder, items) if config.rankers else None
    for name in config.rankers:
        named, statuses[name] = load_named_scorers(name, config.kind, by_id, embedder, hints, facts)
        out |= named
    return out, statuses


def facts_vectors(config: JudgedRunConfig, embedder: Embedder, items: list[Item]) -> dict[str, np.ndarray]:
    """Each item's facts vector as ingest stores it (float16; cached like the item vectors)."""
    texts = [item_facts(config.kind, p) for _, p in items]
    vectors, _ = embed_cached(embedder, texts, config.cache_dir, f"judged-facts-{config.kind.value}")
    return {item_id: v for (item_id, _), v in zip(items, as_stored(vectors))}


def run_judged(config: JudgedRunConfig, embedder: Embedder) -> dict[str, Any]:
    """The whole pipeline; returns the JSON-ready report."""
    items = load_corpus(config)
    texts = [item_text(config.kind, p, ITEM_CHARS) for _, p in items]
    vectors, embedding = embed_cached(embedder, texts, config.cache_dir, f"judged-{config.kind.value}")
    esco_folder = esco_dir(config.shared_data_dir)
    esco = EscoIndex.load(esco_folder) if esco_folder else None
    pairs, provenance = judged_pairs(config, embedder, items, vectors, esco)
    scorer_map, statuses = scorers(config, embedder, items, vectors, texts)
    report = evaluate_rankers(pairs, scorer_map)
    return report | provenance | {
        "kind": config.kind.value, "corpus_size": len(items), "embedder": embedder_label(embedder), "embedding": embedding,
        "seed": config.seed, "per_query": config.per_query, "random_fraction": config.random_fraction,
        "esco": esco is not None, "rankers": statuses, "ranker_hints": config.ranker_hints, "machine": machine_info(),
    }


def _default_pairs_path(config: JudgedRunConfig, judge_name: str, embedder: str, items: list[Item]) -> Path:
    """Named by the run's settings; the hash covers the embedder (it picks candidates) and the corpus ids."""
    ids = hashlib.sha256("\n".join([embedder, *(i for i, _ in items)]).encode()).hexdigest()[:10]
    name = (f"judged-{config.kind.value}-q{config.n_queries}-k{config.per_query}-r{config.random_fraction:g}"
            f"-s{config.seed}-heldout-{judge_name.replace(':', '_')}-{ids}.jsonl")
    return Path(config.cache_dir or ".") / name
