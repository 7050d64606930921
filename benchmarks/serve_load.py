"""Open-loop HTTP load on the real search service, with the empty-DAG latency floor from the same run.

Starts the real stack (embedded Kafka -> ingest actors -> Qdrant Edge, Ray Serve DAG) in a temporary
data dir on free loopback ports, fills the index with ``--jobs`` postings through the real pipeline
(demo postings, replicated; embedded with ``embed_max_tokens=128`` to shorten the fill), makes sure the
default ranker exists, then sends job searches at fixed arrival rates (open loop: each request is
timed from its scheduled send time) for ``--duration`` seconds per rate, ranking depth N=250.
Reports p50/p95/p99 latency, error rate, per-stage latency from ``timings_ms``, the share of degraded
answers and of cache hits, and the latency of an empty four-deployment Serve app of the same shape
(``serve_overhead.py``) measured sequentially in the same Ray instance.

    nice python benchmarks/serve_load.py --jobs 20000 --rates 2,5,10 --duration 60 \
        --json benchmarks/out/serve_load.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

STAGES = ("understand", "retrieve", "rank", "total")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configure(args: argparse.Namespace, data_dir: Path) -> Any:
    """Settings for the whole stack. Serve's app builder reads the environment, so set it there."""
    env = {
        "SEMSTREAM_DATA_DIR": str(data_dir), "SEMSTREAM_BROKER_PORT": str(free_port()),
        "SEMSTREAM_HTTP_PORT": str(free_port()), "SEMSTREAM_HTTP_HOST": "127.0.0.1",
        "SEMSTREAM_RAY_DASHBOARD_PORT": str(free_port()), "SEMSTREAM_CONSUMER_GROUP": f"load-{os.getpid()}",
        "SEMSTREAM_EMBED_MAX_TOKENS": str(args.embed_max_tokens), "SEMSTREAM_SERVE_RANK_DEPTH": str(args.depth),
        "SEMSTREAM_RATE_LIMIT_RPS": str(max(20.0, 4 * max(args.rates))),  # one client sends everything
        "SEMSTREAM_RATE_LIMIT_BURST": str(max(40, int(8 * max(args.rates)))),
        "SEMSTREAM_LOG_LEVEL": "WARNING", "SEMSTREAM_LOAD_DEMO": "false",
    }
    if args.ranker_mode:
        env["SEMSTREAM_RANKER_MODE"] = args.ranker_mode
    os.environ.update(env)
    from semstream.config import load_settings

    return load_settings()


# --- fill ------------------------------------------------------------------------------------------

def postings(settings: Any, n: int) -> list[Any]:
    from semstream.topics.loaders import demo_job_events, replicate

    return list(replicate(demo_job_events(settings), n))


def fill(settings: Any, pool: Any, events: list[Any], timeout_s: float) -> dict[str, float]:
    """Produce the postings to Kafka and wait until the ingest actors indexed them all (restarting any
    actor whose loop ended, as ``semstream up`` does)."""
    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.ray_actors import index_owner
    from semstream.actors.wiring import bootstrap_servers
    from semstream.schemas import EntityKind
    from semstream.topics.producer import KafkaEventSink
    from semstream.topics.registry import JOBS
    from semstream.topics.serde import encode_event

    start = time.perf_counter()
    store = ActorStoreClient(index_owner(settings))
    if (count := store.count(EntityKind.JOB)) >= len(events):
        print(f"  the index already holds {count} postings: no fill", flush=True)
        return {"indexed": count, "fill_s": 0.0, "fill_docs_per_s": None, "reused_index": True}
    sink = KafkaEventSink(bootstrap_servers(settings), settings)
    try:
        for event in events:
            sink.send(JOBS, *encode_event(event))
        sink.flush(120)
    finally:
        sink.close()
    deadline = start + timeout_s
    last = -1
    while (count := store.count(EntityKind.JOB)) < len(events):
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {count} of {len(events)} postings indexed after {timeout_s:.0f} s")
        if count != last:
            print(f"  indexed {count} of {len(events)}", flush=True)
            last = count
        for index in pool.check():
            print(f"  ingest actor {index} stopped and was restarted", flush=True)
        time.sleep(2.0)
    seconds = time.perf_counter() - start
    return {"indexed": count, "fill_s": round(seconds, 1), "fill_docs_per_s": round(count / seconds, 1),
            "ingest_restarts": pool.restarts}


def make_queries(events: list[Any], n: int, seed: int = 7) -> list[str]:
    """Short queries from posting titles, some with the posting's city or a remote policy."""
    rng = random.Random(seed)
    titles = [e for e in events if e.title and len(e.title) < 120]
    queries: list[str] = []
    for e in rng.sample(titles, min(len(titles), 4 * n)):
        words = " ".join(e.title.replace("/", " ").split()[:5])
        where = (e.location or "").split(",")[0].strip()
        extra = rng.choice(["", "", f" in {where}" if where else "", " remote"])
        query = (words + extra).strip()
        if query and query not in queries:
            queries.append(query[:200])
        if len(queries) == n:
            break
    return queries


# --- load ------------------------------------------------------------------------------------------

@dataclass
class Result:
    latency_ms: float
    status: int
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    degraded: bool = False
    cache_hit: bool = False
    depth: int = 0


def _one(client: httpx.Client, url: str, body: dict[str, Any], due: float) -> Result:
    time.sleep(max(0.0, due - time.perf_counter()))
    try:
        response = client.post(url, json=body)
    except httpx.HTTPError as e:
        return Result((time.perf_counter() - due) * 1000, 0, f"{type(e).__name__}: {e}")
    latency = (time.perf_counter() - due) * 1000
    if response.status_code != 200:
        return Result(latency, response.status_code, response.text[:200])
    data = response.json()
    return Result(latency, 200, timings=data["timings_ms"], degraded=data["ranker"]["degraded"],
                  cache_hit=data["cache_hit"], depth=data["depth"]["ranked"])


def open_loop(url: str, queries: list[str], rate: float, duration_s: float, seed: int) -> list[Result]:
    """``rate * duration_s`` requests at fixed intervals, whatever the answers' latency (bounded count)."""
    rng = random.Random(seed)
    count = int(rate * duration_s)
    workers = int(min(256, max(16, rate * 8)))
    bodies = [{"query": rng.choice(queries), "k": 10, "searcher": {"id": f"u{rng.randrange(10_000)}"}}
              for _ in range(count)]
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    with httpx.Client(timeout=30.0, limits=limits) as client, ThreadPoolExecutor(max_workers=workers) as pool:
        start = time.perf_counter() + 0.2
        futures = [pool.submit(_one, client, url, body, start + i / rate) for i, body in enumerate(bodies)]
        return [f.result() for f in futures]


def _pcts(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": round(float(p50), 1), "p95": round(float(p95), 1), "p99": round(float(p99), 1)}


def summarise(rate: float, results: list[Result]) -> dict[str, Any]:
    ok = [r for r in results if r.status == 200]
    statuses = {str(s): sum(r.status == s for r in results) for s in sorted({r.status for r in results})}
    return {
        "rate_rps": rate, "requests": len(results), "ok": len(ok),
        "error_rate": round(1 - len(ok) / max(1, len(results)), 4), "statuses": statuses,
        "errors_sample": sorted({r.error for r in results if r.error})[:3],
        "latency_ms": _pcts([r.latency_ms for r in ok]),
        "stage_ms": {s: _pcts([r.timings[s] for r in ok]) for s in STAGES},
        "degraded_share": round(sum(r.degraded for r in ok) / max(1, len(ok)), 4),
        "cache_hit_share": round(sum(r.cache_hit for r in ok) / max(1, len(ok)), 4),
        "ranked_depth": _pcts([float(r.depth) for r in ok]),
    }


# --- floor: the empty app of the same shape -------------------------------------------------------

def empty_floor(port: int, requests: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import serve_overhead
    from ray import serve

    serve.run(serve_overhead.build(8), name="overhead", route_prefix="/overhead")
    try:
        url = f"http://127.0.0.1:{port}/overhead/v1/search/jobs"
        return [serve_overhead.measure(url, requests, payload) for payload in (0, 250)]
    finally:
        serve.delete("overhead")


# --- main ------------------------------------------------------------------------------------------

def warm_up(url: str, queries: list[str], n: int = 10) -> dict[str, Any]:
    """A few sequential searches (models load lazily); also checks the response carries one request id."""
    with httpx.Client(timeout=120.0) as client:
        for query in itertools.islice(itertools.cycle(queries), n):
            response = client.post(url, json={"query": query, "k": 10}, headers={"X-Request-Id": "warm-up-1"})
            if response.status_code != 200:
                raise SystemExit(f"warm-up search answered {response.status_code}: {response.text[:300]}")
        ids = response.headers.get_list("x-request-id")
    return {"request_id_headers": ids}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from semstream.models.ranker.registry import ensure_default_ranker
    from semstream.stack import Stack

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="semstream-load-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.models_from and not (data_dir / "models").exists():
        shutil.copytree(args.models_from, data_dir / "models")
    settings = configure(args, data_dir)
    events = postings(settings, args.jobs)
    queries = make_queries(events, args.queries)
    stack = Stack(settings, say=lambda m: print(f"  {m}", flush=True))
    report: dict[str, Any] = {"benchmark": "serve_load", "jobs": args.jobs, "duration_s": args.duration,
                              "ranker_mode": settings.ranker_mode, "ranker_dtype": settings.ranker_dtype,
                              "rank_depth": args.depth, "embed_max_tokens": args.embed_max_tokens,
                              "queries": len(queries), "query_sample": queries[:5]}
    t0 = time.perf_counter()
    try:
        stack.start(serve_http=False)
        report["fill"] = fill(settings, stack.pool, events, args.fill_timeout)
        print(f"  indexed {report['fill']}", flush=True)
        if args.fill_only:
            return report
        t1 = time.perf_counter()
        report["ranker"] = str(ensure_default_ranker(settings, progress=False).name)
        report["ranker_ready_s"] = round(time.perf_counter() - t1, 1)
        stack.start_serving()
        url = f"http://127.0.0.1:{settings.http_port}/v1/search/jobs"
        report["warm_up"] = warm_up(url, queries)
        report["startup_s"] = round(time.perf_counter() - t0, 1)
        report["runs"] = []
        for i, rate in enumerate(args.rates):
            print(f"  load: {rate} req/s for {args.duration} s", flush=True)
            report["runs"].append(summarise(rate, open_loop(url, queries, rate, args.duration, seed=i)))
        report["empty_app_floor"] = empty_floor(settings.http_port, args.floor_requests)
    finally:
        stack.stop()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    report["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    return report


def print_table(report: dict[str, Any]) -> None:
    print(f"\nserve_load: {report['fill']['indexed']} postings, N={report['rank_depth']}, "
          f"{report['duration_s']} s per rate")
    print(f"{'rate':>5} {'reqs':>5} {'err%':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'degr%':>6} {'hit%':>5}  "
          f"{'understand p50':>14} {'retrieve p50':>12} {'rank p50/p95':>14}")
    for r in report["runs"]:
        lat, st = r["latency_ms"], r["stage_ms"]
        print(f"{r['rate_rps']:>5g} {r['requests']:>5} {100 * r['error_rate']:>6.1f} {lat['p50']!s:>8} "
              f"{lat['p95']!s:>8} {lat['p99']!s:>8} {100 * r['degraded_share']:>6.1f} "
              f"{100 * r['cache_hit_share']:>5.1f}  {st['understand']['p50']!s:>14} {st['retrieve']['p50']!s:>12} "
              f"{st['rank']['p50']!s:>6}/{st['rank']['p95']!s:<7}")
    for f in report["empty_app_floor"]:
        print(f"empty app, {f['payload_candidates']} candidates: p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms "
              f"({f['sequential_rps']} sequential req/s)")


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="  %(levelname)s %(name)s: %(message)s")
    _stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000, help="postings to index before the load")
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[2.0, 5.0, 10.0],
                        help="arrival rates in requests/s, comma-separated")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per rate")
    parser.add_argument("--depth", type=int, default=250, help="ranking depth N")
    parser.add_argument("--queries", type=int, default=100, help="distinct queries drawn from the postings")
    parser.add_argument("--embed-max-tokens", type=int, default=128, help="token cap when embedding the fill")
    parser.add_argument("--fill-timeout", type=float, default=3600.0)
    parser.add_argument("--floor-requests", type=int, default=100, help="sequential requests to the empty app")
    parser.add_argument("--models-from", type=Path, default=None,
                        help="copy this models folder (with default/<version>) instead of training the quick ranker")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep the stack's data here (reused when it already holds --jobs postings)")
    parser.add_argument("--fill-only", action="store_true", help="stop after filling the index (with --data-dir)")
    parser.add_argument("--ranker-mode", default=None, help="SEMSTREAM_RANKER_MODE for the Ranking deployment")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    report = run(args)
    if args.fill_only:
        print(json.dumps(report["fill"]))
        return
    print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
