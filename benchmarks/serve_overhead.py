"""Latency floor of the serving DAG: an empty four-deployment Serve app of the same shape, over HTTP.

Ingress (FastAPI) -> QueryUnderstanding -> Retrieval -> Ranking (``@serve.batch``), each with the
options ``semstream.deployments.app.deployment_options`` gives the real app, but doing no work: what
is left is Serve's proxy, routing and serialisation cost per request. ``--payloads`` also sends N
fake candidates (job-sized payload + a 384-d float32 vector, in the real stage messages) through
the retrieval -> ingress -> ranking hops, to show what moving candidates costs.

    nice python benchmarks/serve_overhead.py --requests 200 --json benchmarks/out/serve_overhead.json
"""

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import ray
from fastapi import FastAPI
from ray import serve
from ray.serve.handle import DeploymentHandle

from semstream.config import load_settings
from semstream.deployments.app import deployment_options
from semstream.deployments.stages import Candidate, Retrieved
from semstream.schemas import Hit

DIM = 384


def _candidates(n: int) -> Retrieved:
    """What the real Retrieval stage ships: job-sized payloads and float32 vectors."""
    text = "Build and run Python services for our search platform. " * 8
    payload = {"title": "Python developer", "company": "Acme", "location": "Berlin", "remote": "remote",
               "skills": ["python", "kafka", "qdrant"], "description": text}
    hits = [Hit(id=f"job-{i}", score=1 - i / 1000, version=1, payload=payload, vector=[0.05] * DIM) for i in range(n)]
    return Retrieved(candidates=[Candidate.from_hit(h, 0, keep_vector=True) for h in hits], total=n)


@serve.deployment
class EmptyUnderstanding:
    def understand(self, text: str) -> dict[str, Any]:
        return {"rewrite": text, "facets": []}


@serve.deployment
class EmptyRetrieval:
    def __init__(self) -> None:
        self._cache: dict[int, Retrieved] = {}

    def retrieve(self, text: str, n: int) -> Retrieved:
        if n not in self._cache:
            self._cache[n] = _candidates(n)
        return self._cache[n]


@serve.deployment
class EmptyRanking:
    async def rank(self, found: Retrieved, k: int) -> list[Candidate]:
        return await self._batch((found, k))

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.005)
    async def _batch(self, requests: list[tuple[Retrieved, int]]) -> list[list[Candidate]]:
        return [found.candidates[:k] for found, k in requests]


def _api(qu: DeploymentHandle, retrieval: DeploymentHandle, ranking: DeploymentHandle) -> FastAPI:
    api = FastAPI()

    @api.post("/v1/search/jobs")
    async def search(body: dict[str, Any]) -> dict[str, Any]:
        u = await qu.understand.remote(body["query"])
        found = await retrieval.retrieve.remote(u["rewrite"], int(body.get("payload", 0)))
        ranked = await ranking.rank.remote(found, int(body.get("k", 10)))
        return {"items": [{"id": c.id, "score": c.retrieval_score} for c in ranked]}

    return api


@serve.deployment
@serve.ingress()
class EmptyIngress:
    def __init__(self, qu: DeploymentHandle, retrieval: DeploymentHandle, ranking: DeploymentHandle) -> None:
        self._handles = (qu, retrieval, ranking)

    def __serve_build_asgi_app__(self) -> FastAPI:
        return _api(*self._handles)


def build(batch_size: int) -> Any:
    settings = load_settings(serve_rank_batch_size=batch_size)
    opts = {name: deployment_options(settings, name) for name in ("Ingress", "QueryUnderstanding", "Retrieval", "Ranking")}
    qu = EmptyUnderstanding.options(**opts["QueryUnderstanding"]).bind()
    retrieval = EmptyRetrieval.options(**opts["Retrieval"]).bind()
    ranking = EmptyRanking.options(**opts["Ranking"]).bind()
    return EmptyIngress.options(**opts["Ingress"]).bind(qu, retrieval, ranking)


def measure(url: str, requests: int, payload: int, warmup: int = 10) -> dict[str, float]:
    body = {"query": "python developer remote", "k": 10, "payload": payload}
    with httpx.Client(timeout=30) as client:
        for _ in range(warmup):
            response = client.post(url, json=body)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
        latencies = []
        start = time.perf_counter()
        for _ in range(requests):
            t0 = time.perf_counter()
            client.post(url, json=body).raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)
        wall = time.perf_counter() - start
    latencies.sort()
    return {
        "payload_candidates": payload, "requests": requests,
        "p50_ms": round(_pct(latencies, 50), 2), "p90_ms": round(_pct(latencies, 90), 2),
        "p99_ms": round(_pct(latencies, 99), 2), "mean_ms": round(statistics.fmean(latencies), 2),
        "max_ms": round(latencies[-1], 2), "sequential_rps": round(requests / wall, 1),
    }


def _pct(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--payloads", default="0,250", help="Comma-separated candidate counts per request.")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None, help="Write the figures here.")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": args.port})
    serve.run(build(args.batch_size), name="overhead", route_prefix="/")
    startup_s = time.perf_counter() - t0
    try:
        url = f"http://127.0.0.1:{args.port}/v1/search/jobs"
        runs = [measure(url, args.requests, int(p)) for p in args.payloads.split(",")]
    finally:
        serve.shutdown()
        ray.shutdown()
    report = {
        "benchmark": "serve_overhead", "deployments": 4, "startup_s": round(startup_s, 1), "runs": runs,
        "ray": ray.__version__, "cpus": os.cpu_count(), "python": platform.python_version(),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
