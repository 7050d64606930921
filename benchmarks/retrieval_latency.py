"""Retrieval store path: top-K search and the hand-off of the top N, directly and through the index owner.

Indexes ``--n`` real job postings (the demo postings of ``semstream.topics.loaders.demo_job_events``,
``--base`` originals replicated under new ids, each turned into the Document ingest writes: derived
filter keys, extractive summary, full description) with 384-d vectors, then times what the
Retrieval stage does per query after embedding it, for K=``--k`` candidates and N=``--ship``
handed to ranking, unfiltered and filtered (the posting's country, or remote/hybrid):

  * ``before``: ``search`` top K with full payloads and vectors as ``Hit`` lists, top N become
    candidates (the Retrieval stage before payload selection and compact reads);
  * ``compact-full``: the same reads as ``CompactHits`` columns (full payloads, float32 vectors);
  * ``after``: ``search_compact`` top K with no payload, then ``get_compact`` of the top N with
    vectors and the keys ranking and display read, long texts cut to ``serve_candidate_text_chars``
    (``RetrievalService`` as the Retrieval deployment builds it);
  * ``after-full``: as ``after`` but whole payloads for the top N (``RetrievalService`` defaults);
  * ``after-collapse``: as ``after`` with re-posted duplicates collapsed (``serve_collapse_duplicates``,
    as served): the replicated corpus is a heavy case, every posting has ``--n / --base`` copies.

(a) on an ``EdgeStore`` in this process, (b) through the index-owner actor and ``ActorStoreClient``
(``before`` there calls the actor's list-returning ``search``, as the client did). Vectors are
random unit vectors around 256 centroids (``--vectors random``, default: this measures the store
and transfer path, not the embedder) or HashEmbedder(384) vectors of each posting's text plus
noise (``--vectors hash``). Modes run interleaved per query so host load hits them alike.

    nice python benchmarks/retrieval_latency.py --n 20000 --json benchmarks/out/retrieval_latency.json
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from semstream.deployments.retrieval import CANDIDATE_FIELDS, RetrievalService
from semstream.deployments.stages import Candidate, RetrieveRequest
from semstream.models.embedder import HashEmbedder
from semstream.schemas import Document, EntityKind
from semstream.store.filters import Filter, Match, MatchAny
from semstream.store.protocol import VectorStore

DIM = 384
KIND = EntityKind.JOB
MODES = ("before", "compact-full", "after", "after-full", "after-collapse")
TEXT_CHARS = 2000  # serve_candidate_text_chars default
Query = tuple[list[float], Filter | None]


# --- corpus ------------------------------------------------------------------------------------

def base_documents(base: int) -> list[Document]:
    """``base`` real postings as ingest writes them (vectors filled in later)."""
    from semstream.actors.documents import to_document
    from semstream.config import load_settings
    from semstream.topics.loaders import demo_job_events

    return [to_document(KIND, e, None, None) for e in demo_job_events(load_settings(), limit=base)]


def replicate(docs: list[Document], n: int, vectors: np.ndarray) -> list[Document]:
    """``n`` documents: the originals, then copies under new ids, each with its own vector."""
    out = []
    for i in range(n):
        original = docs[i % len(docs)]
        entity_id = original.id if i < len(docs) else f"{original.id}-r{i // len(docs) + 1}"
        out.append(original.model_copy(update={"id": entity_id, "vector": vectors[i].tolist(),
                                               "payload": {**original.payload, "_id": entity_id}}))
    return out


def make_vectors(kind: str, docs: list[Document], n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "hash":
        from semstream.models.item_text import item_text

        centres = HashEmbedder(DIM).embed([item_text(KIND, d.payload) for d in docs])
        picks = centres[np.arange(n) % len(docs)]
    else:
        picks = _unit(rng.standard_normal((256, DIM)).astype(np.float32))[rng.integers(0, 256, n)]
    noise = rng.standard_normal((n, DIM)).astype(np.float32) / np.sqrt(DIM) * 0.5
    return _unit(picks + noise)


def make_queries(docs: list[Document], vectors: np.ndarray, count: int, rng: np.random.Generator,
                 filtered: bool) -> list[Query]:
    """Near a random posting; filtered ones keep that posting's country or ask for remote/hybrid."""
    out: list[Query] = []
    for j in range(count):
        i = int(rng.integers(len(docs)))
        vector = _unit(vectors[i] + rng.standard_normal(DIM).astype(np.float32) / np.sqrt(DIM))
        country = docs[i].payload.get("country")
        if not filtered:
            flt = None
        elif j % 2 and country:
            flt = Filter(must=[Match(field="country", value=country)])
        else:
            flt = Filter(must=[MatchAny(field="remote", values=["remote", "hybrid"])])
        out.append((vector.tolist(), flt))
    return out


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=-1, keepdims=True)


# --- the four ways of running one query -----------------------------------------------------------

Runner = Callable[[Query], tuple[list[Candidate], int]]  # candidates for ranking, hits found


def runners(store: VectorStore, legacy_search: Callable[..., list[Any]], k: int, ship: int,
            text_chars: int) -> dict[str, Runner]:
    after = RetrievalService(store, HashEmbedder(DIM), CANDIDATE_FIELDS, text_chars=text_chars)
    after_full = RetrievalService(store, HashEmbedder(DIM))
    collapsing = RetrievalService(store, HashEmbedder(DIM), CANDIDATE_FIELDS, text_chars=text_chars, collapse=True)

    def before(q: Query) -> tuple[list[Candidate], int]:
        hits = legacy_search(KIND, q[0], k, q[1], True)
        return [Candidate.from_hit(h, 0, keep_vector=True) for h in hits[:ship]], len(hits)

    def compact_full(q: Query) -> tuple[list[Candidate], int]:
        got = store.search_compact(KIND, q[0], k, q[1], with_vectors=True)
        cands = [Candidate.model_construct(id=got.ids[r], version=int(got.versions[r]), retrieval_score=s, tier=0,
                                           payload=got.payloads[r], vector=got.vector_bytes(r))
                 for r, s in enumerate(got.scores[:ship].tolist())]
        return cands, len(got)

    def two_step(service: RetrievalService) -> Runner:
        def run(q: Query) -> tuple[list[Candidate], int]:
            req = RetrieveRequest(kind=KIND, text="", flt=q[1] or Filter(), k=k, ship=ship)
            found, _ = service.search(req, q[0])
            cands, _ = service.hand_over(KIND, found, ship)
            return cands, len(found)
        return run

    return {"before": before, "compact-full": compact_full, "after": two_step(after),
            "after-full": two_step(after_full), "after-collapse": two_step(collapsing)}


def _size(reply: Any) -> int:
    return len(pickle.dumps(reply, protocol=5))


def reply_sizes(store: VectorStore, query: Query, k: int, ship: int) -> dict[str, int]:
    """Bytes of the store replies and of the candidates handed to ranking, per mode, for one query."""
    ids = store.search_compact(KIND, query[0], k, query[1], payload_fields=())
    top = ids.ids[:ship]
    sizes = {
        "before": _size(store.search(KIND, query[0], k, query[1], with_vectors=True)),
        "compact-full": _size(store.search_compact(KIND, query[0], k, query[1], with_vectors=True)),
        "after": _size(ids) + _size(store.get_compact(KIND, top, CANDIDATE_FIELDS)),
        "after-full": _size(ids) + _size(store.get_compact(KIND, top, None)),
    }
    return sizes  # after-collapse: as after, plus a further get_compact per round


def measure(run: dict[str, Runner], queries: list[Query], warmup: int = 3) -> dict[str, Any]:
    for q in queries[:warmup]:
        for mode in MODES:
            run[mode](q)
    times: dict[str, list[float]] = {m: [] for m in MODES}
    found: dict[str, list[int]] = {m: [] for m in MODES}
    shipped: dict[str, list[int]] = {m: [] for m in MODES}
    count: dict[str, list[int]] = {m: [] for m in MODES}
    for q in queries:
        for mode in MODES:
            start = time.perf_counter()
            cands, hits = run[mode](q)
            times[mode].append(time.perf_counter() - start)
            found[mode].append(hits)
            shipped[mode].append(_size(cands))
            count[mode].append(len(cands))
    return {m: {"p50_ms": _pct(times[m], 50), "p99_ms": _pct(times[m], 99), "mean_found": float(np.mean(found[m])),
                "mean_shipped": float(np.mean(count[m])),
                "ranking_message_kb": round(float(np.mean(shipped[m])) / 1024, 1)} for m in MODES}


def _pct(seconds: list[float], q: int) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000, q)), 2)


# --- the two places ---------------------------------------------------------------------------

def bench_edge(root: Path, docs: list[Document], suites: dict[str, list[Query]], k: int, ship: int) -> dict[str, Any]:
    from semstream.store.edge import EdgeStore

    out: dict[str, Any] = {}
    with EdgeStore(root) as store:
        store.ensure_collection(KIND, DIM)
        start = time.perf_counter()
        for i in range(0, len(docs), 512):
            store.apply(docs[i : i + 512])
        out["index_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        store.search_compact(KIND, suites["unfiltered"][0][0], 1, payload_fields=())
        out["point_directory_build_ms"] = round((time.perf_counter() - start) * 1000, 1)
        run = runners(store, store.search, k, ship, TEXT_CHARS)
        for name, queries in suites.items():
            out[name] = measure(run, queries)
            out[name]["reply_bytes"] = reply_sizes(store, queries[0], k, ship)
    return out


def bench_actor(data_dir: Path, suites: dict[str, list[Query]], k: int, ship: int) -> dict[str, Any]:
    """The owner opens the shard the Edge run left in ``data_dir / "qdrant"``."""
    import ray

    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.ray_actors import NAMESPACE, index_owner
    from semstream.config import load_settings

    ray.init(num_cpus=2, namespace=NAMESPACE, include_dashboard=False, log_to_driver=False)
    try:
        owner = index_owner(load_settings(data_dir=data_dir))
        ray.get(owner.ready.remote())
        client = ActorStoreClient(owner)

        def legacy_search(kind: EntityKind, vector: list[float], limit: int, flt: Filter | None,
                          with_vectors: bool) -> list[Any]:
            return ray.get(owner.search.remote(kind, list(vector), limit, flt, with_vectors))

        client.search_compact(KIND, suites["unfiltered"][0][0], 1, payload_fields=())  # owner builds its directory
        run = runners(client, legacy_search, k, ship, TEXT_CHARS)
        out = {name: measure(run, queries) for name, queries in suites.items()}
        ray.get(owner.close.remote())
        ray.kill(owner)
        return out
    finally:
        ray.shutdown()


# --- report -----------------------------------------------------------------------------------

def table(results: dict[str, Any]) -> str:
    rows = [("where", "queries", "mode", "p50 ms", "p99 ms", "found", "to ranking KB")]
    for where, part in results.items():
        for suite in ("unfiltered", "filtered"):
            for mode, m in part[suite].items():
                if mode in MODES:
                    rows.append((where, suite, mode, str(m["p50_ms"]), str(m["p99_ms"]), f"{m['mean_found']:.0f}",
                                 str(m["ranking_message_kb"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="postings in the index")
    parser.add_argument("--base", type=int, default=2_000, help="distinct real postings replicated to --n")
    parser.add_argument("--k", type=int, default=1000, help="candidates searched (K)")
    parser.add_argument("--ship", type=int, default=250, help="candidates handed to ranking (N)")
    parser.add_argument("--queries", type=int, default=60, help="queries per suite")
    parser.add_argument("--vectors", choices=["random", "hash"], default="random")
    parser.add_argument("--skip-actor", action="store_true", help="only the in-process EdgeStore")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args()

    load_before = [round(x, 2) for x in os.getloadavg()]
    rng = np.random.default_rng(args.seed)
    base = base_documents(min(args.base, args.n))
    vectors = make_vectors(args.vectors, base, args.n, rng)
    docs = replicate(base, args.n, vectors)
    suites = {"unfiltered": make_queries(docs, vectors, args.queries, rng, filtered=False),
              "filtered": make_queries(docs, vectors, args.queries, rng, filtered=True)}
    description = np.asarray([len(d.payload.get("description") or "") for d in base])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="retrieval-latency-") as tmp:
        results["edge"] = bench_edge(Path(tmp) / "qdrant", docs, suites, args.k, args.ship)
        if not args.skip_actor:
            results["actor"] = bench_actor(Path(tmp), suites, args.k, args.ship)
    report = {"benchmark": "retrieval_latency", "n": args.n, "base_postings": len(base), "k": args.k,
              "ship": args.ship, "dim": DIM, "vectors": args.vectors, "queries_per_suite": args.queries,
              "description_chars": {"mean": round(float(description.mean())),
                                    "p90": round(float(np.percentile(description, 90)))},
              "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                       "loadavg_before": load_before, "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
              "results": results}
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
