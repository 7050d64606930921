"""Vector store write throughput and filtered search latency.

For the embedded store (Qdrant Edge) at ``--n`` documents, and qdrant-client's local mode at
``--server-n`` for comparison, one run reports:

  * upsert docs/s through ``apply`` in batches of ``--batch`` (version read + conditional upsert),
    and for Edge also with ``sync=True`` (segments flushed after every batch),
  * filtered exact top-1000 latency p50/p99 before and after ``maintain()``,
  * filtered HNSW top-100 latency p50/p99 after ``maintain()`` and its recall@100 against exact,
  * how long ``maintain()`` (HNSW build) took.

Vectors are 384-d unit vectors drawn around 256 random centroids (so neighbourhoods exist, as
with real embeddings); payloads look like job postings (country, city, remote, seniority,
company, skills, occupation, posted_ts, title, description). Each query filters on a country and
either a remote policy or a posting-date range.

    nice python benchmarks/store_latency.py --n 50000 --json benchmarks/out/store_latency.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from semstream.schemas import Document, EntityKind
from semstream.store.filters import Filter, Match, MatchAny, Range
from semstream.store.protocol import VectorStore

DIM = 384
KIND = EntityKind.JOB
NOW = 1_750_000_000
COUNTRIES = ["us", "gb", "de", "in", "ca", "fr", "nl", "au", "es", "br", "pl", "se", "ie", "sg", "it"]
COUNTRY_P = np.array([30, 12, 9, 9, 7, 6, 4, 4, 4, 4, 3, 2, 2, 2, 2], dtype=float)
COUNTRY_P /= COUNTRY_P.sum()
REMOTE = ["remote", "hybrid", "onsite"]
SENIORITY = ["intern", "junior", "mid", "senior", "lead", "principal"]


class Corpus:
    """Deterministic synthetic postings, generated batch by batch to keep memory flat."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.centroids = _unit(rng.standard_normal((256, DIM)).astype(np.float32))
        self.skills = [f"skill{i}" for i in range(500)]

    def vectors(self, rng: np.random.Generator, n: int) -> np.ndarray:
        picks = self.centroids[rng.integers(0, len(self.centroids), n)]
        noise = rng.standard_normal((n, DIM)).astype(np.float32) / np.sqrt(DIM)  # norm ~1: cos to centroid ~0.7
        return _unit(picks + noise)

    def payload(self, rng: np.random.Generator, i: int) -> dict[str, Any]:
        country = COUNTRIES[rng.choice(len(COUNTRIES), p=COUNTRY_P)]
        return {
            "title": f"Software engineer {i}", "country": country, "city": f"{country}-city{rng.integers(20)}",
            "remote": REMOTE[rng.integers(3)], "seniority": SENIORITY[rng.integers(len(SENIORITY))],
            "employment_type": "full_time", "company_key": f"company{rng.integers(2000)}",
            "skills_key": sorted({self.skills[k] for k in rng.integers(0, 500, rng.integers(3, 9))}),
            "occupation": f"occupation{rng.integers(100)}", "posted_ts": int(NOW - rng.integers(0, 90 * 86400)),
            "source": "synthetic", "description": "Build and run services. " * 12,
        }

    def batches(self, n: int, batch: int) -> Iterator[list[Document]]:
        rng = np.random.default_rng(self.seed + 1)
        for start in range(0, n, batch):
            size = min(batch, n - start)
            vectors = self.vectors(rng, size)
            yield [Document(kind=KIND, id=f"job{start + j}", version=1, vector=vectors[j].tolist(),
                            payload=self.payload(rng, start + j)) for j in range(size)]

    def queries(self, count: int) -> list[tuple[list[float], Filter]]:
        rng = np.random.default_rng(self.seed + 2)
        vectors = self.vectors(rng, count)
        out = []
        for j in range(count):
            must: list[Any] = [Match(field="country", value=COUNTRIES[rng.choice(len(COUNTRIES), p=COUNTRY_P)])]
            if j % 2:
                must.append(MatchAny(field="remote", values=["remote", "hybrid"]))
            else:
                must.append(Range(field="posted_ts", gte=NOW - 30 * 86400))
            out.append((vectors[j].tolist(), Filter(must=must)))
        return out


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def load(store: VectorStore, corpus: Corpus, n: int, batch: int) -> dict[str, float]:
    store.ensure_collection(KIND, DIM)
    written, elapsed = 0, 0.0
    for docs in corpus.batches(n, batch):
        start = time.perf_counter()
        written += store.apply(docs).written
        elapsed += time.perf_counter() - start
    if written != n:
        raise RuntimeError(f"expected {n} writes, store reported {written}")
    return {"docs": n, "seconds": round(elapsed, 2), "docs_per_s": round(n / elapsed)}


def latency(store: VectorStore, queries: list[tuple[list[float], Filter]], limit: int) -> dict[str, Any]:
    store.search(KIND, queries[0][0], limit, queries[0][1])  # warm-up
    times, results = [], []
    for vector, flt in queries:
        start = time.perf_counter()
        hits = store.search(KIND, vector, limit, flt)
        times.append(time.perf_counter() - start)
        results.append([h.id for h in hits])
    ms = np.asarray(times) * 1000
    return {"limit": limit, "queries": len(queries), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "mean_hits": round(float(np.mean([len(r) for r in results])), 1),
            "_ids": results}


def recall(approx: list[list[str]], exact: list[list[str]]) -> float:
    found = [len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(approx, exact)]
    return round(float(np.mean(found)), 4)


def bench_edge(corpus: Corpus, n: int, batch: int, queries: list, root: Path) -> dict[str, Any]:
    from semstream.store.edge import EdgeStore

    out: dict[str, Any] = {"n": n}
    with EdgeStore(root / "sync", sync=True) as synced:
        out["upsert_sync"] = load(synced, corpus, min(n, 10_000), batch)
    with EdgeStore(root / "edge", exact=True) as store:
        out["upsert"] = load(store, corpus, n, batch)
        out["exact_top1000_before_maintain"] = latency(store, queries, 1000)
        start = time.perf_counter()
        store.maintain()
        out["maintain_s"] = round(time.perf_counter() - start, 1)
        out["exact_top1000"] = latency(store, queries, 1000)
        exact100 = latency(store, queries, 100)
        store.exact = False
        out["hnsw_top100"] = latency(store, queries, 100)
        out["hnsw_top100"]["recall_at_100"] = recall(out["hnsw_top100"]["_ids"], exact100["_ids"])
        out["hnsw_top1000"] = latency(store, queries, 1000)
        out["hnsw_top1000"]["recall_at_1000"] = recall(out["hnsw_top1000"]["_ids"], out["exact_top1000"]["_ids"])
    return out


def bench_local(corpus: Corpus, n: int, batch: int, queries: list) -> dict[str, Any]:
    from semstream.store.qdrant_server import QdrantServerStore

    with QdrantServerStore(location=":memory:") as store:
        return {"n": n, "upsert": load(store, corpus, n, batch),
                "exact_top1000": latency(store, queries, 1000), "exact_top100": latency(store, queries, 100)}


def table(report: dict[str, Any]) -> str:
    rows = [("store", "n", "measure", "value")]
    for name, part in report["results"].items():
        for key, value in part.items():
            if isinstance(value, dict) and "docs_per_s" in value:
                rows.append((name, str(value["docs"]), key, f"{value['docs_per_s']} docs/s"))
            elif isinstance(value, dict):
                extra = next((f"  recall {v}" for k, v in value.items() if k.startswith("recall")), "")
                rows.append((name, str(part["n"]), key, f"p50 {value['p50_ms']} ms  p99 {value['p99_ms']} ms{extra}"))
            elif key == "maintain_s":
                rows.append((name, str(part["n"]), "maintain (HNSW build)", f"{value} s"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def strip_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_ids(v) for k, v in value.items() if k != "_ids"}
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="documents in the Edge store")
    parser.add_argument("--server-n", type=int, default=5_000, help="documents in qdrant-client local mode (0 = skip)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args()

    load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the host skews every figure
    corpus = Corpus(args.seed)
    queries = corpus.queries(args.queries)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="store-latency-") as tmp:
        results["edge"] = bench_edge(corpus, args.n, args.batch, queries, Path(tmp))
    if args.server_n:
        results["qdrant-local"] = bench_local(corpus, args.server_n, args.batch, queries[: max(10, args.queries // 4)])
    report = {"benchmark": "store_latency", "dim": DIM, "batch": args.batch, "seed": args.seed,
              "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                       "loadavg_before": load_before, "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
              "results": strip_ids(results)}
    print(table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
