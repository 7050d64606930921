"""Soak: the real stack with serving under a steady mix of searches and updates for N minutes.

Starts the whole stack (embedded Kafka -> ingest actors -> Qdrant Edge, Ray Serve DAG) in a
temporary data dir on free loopback ports, indexes ``--jobs`` demo postings, then for
``--minutes`` sends job searches at ``--search-rps`` while producing ``--update-rps`` events
(new postings, updates of live ones, deletes). Reports search latency p50/p99 and error rate,
ingest freshness p99 (``IngestActor.stats()`` through ``IngestPool.stats()``), and the resident
memory of every process (driver, broker, each Ray actor) sampled each minute, with its growth
from the first sample (taken after 20 warm-up searches, which load models lazily).
Traffic goes to 127.0.0.1 only; every loop stops at the deadline.

    nice python benchmarks/soak.py --minutes 10 --search-rps 2 --update-rps 5 --json benchmarks/out/soak.json

A ``default`` ranker is needed: ``--models-from DIR`` copies ``DIR/models`` (a data dir that has
one), otherwise the ``--ranker-profile`` (default ``tiny``) is trained first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUERIES = ["backend engineer", "python developer remote", "data engineer berlin", "frontend react",
           "machine learning engineer", "devops kubernetes", "product manager", "site reliability engineer"]


@dataclass
class Searches:
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Updates:
    sent: dict[str, int] = field(default_factory=lambda: {"new": 0, "update": 0, "delete": 0})
    undelivered: int = 0


def settings_for(args: argparse.Namespace, data_dir: Path) -> Any:
    from semstream.config import load_settings
    from semstream.topics.broker import free_port

    return load_settings(
        data_dir=data_dir, broker_port=free_port(), http_port=free_port(), ray_dashboard_port=free_port(),
        consumer_group="soak", embed_max_tokens=args.embed_max_tokens, load_demo=False, log_level="WARNING",
        ingest_workers=args.ingest_workers, rate_limit_rps=max(20.0, 4 * args.search_rps),
    )


def ensure_ranker(args: argparse.Namespace, settings: Any) -> str:
    from semstream.models.ranker.registry import ensure_default_ranker

    if args.models_from:
        shutil.copytree(Path(args.models_from) / "models", settings.data_dir / "models", dirs_exist_ok=True)
    return str(ensure_default_ranker(settings, progress=False, profile=args.ranker_profile))


def fill(settings: Any, stack: Any, n: int, timeout_s: float = 900) -> list[Any]:
    """Index ``n`` demo postings through the real pipeline; returns their events."""
    from semstream.actors.index_client import ActorStoreClient
    from semstream.schemas import EntityKind
    from semstream.topics.loaders import demo_job_events, replicate

    events = list(replicate(demo_job_events(settings), n))
    sink = _sink(settings)
    for event in events:
        _send(sink, event)
    sink.flush(120)
    sink.close()
    store, deadline = ActorStoreClient.for_settings(settings), time.time() + timeout_s
    while store.count(EntityKind.JOB) < n:
        if time.time() > deadline:
            raise SystemExit(f"only {store.count(EntityKind.JOB)} of {n} postings indexed after {timeout_s:.0f} s")
        stack.pool.check()
        time.sleep(1)
    return events


def _sink(settings: Any) -> Any:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.producer import KafkaEventSink

    return KafkaEventSink(bootstrap_servers(settings), settings, client_id="soak")


def _send(sink: Any, event: Any) -> None:
    from semstream.topics.registry import JOBS
    from semstream.topics.serde import encode_event

    sink.send(JOBS, *encode_event(event))


def warm_up(url: str, n: int = 20) -> None:
    """First searches load models and fill caches lazily: keep them out of the figures and memory baseline."""
    import httpx

    with httpx.Client(timeout=60) as client:
        for i in range(n):
            client.post(url, json={"query": QUERIES[i % len(QUERIES)], "k": 10})


def search_loop(url: str, rps: float, deadline: float, out: Searches) -> None:
    import httpx

    rng = random.Random(3)
    with httpx.Client(timeout=30) as client:
        next_at = time.time()
        while next_at < deadline:
            time.sleep(max(0.0, next_at - time.time()))
            started = time.time()
            try:
                answer = client.post(url, json={"query": rng.choice(QUERIES), "k": 10})
                if answer.status_code != 200:
                    out.errors.append(f"HTTP {answer.status_code}")
            except httpx.HTTPError as e:
                out.errors.append(type(e).__name__)
            out.latencies_s.append(time.time() - started)
            next_at += 1.0 / rps


def update_loop(settings: Any, live: list[Any], rps: float, deadline: float, out: Updates) -> None:
    """New postings (40%), updates of live ones (40%), deletes (20%); flushed once a second."""
    from semstream.schemas import Op
    from semstream.topics.exceptions import DeliveryError

    rng, sink, serial = random.Random(5), _sink(settings), 0
    versions = {e.id: e.version for e in live}
    next_at, flushed = time.time(), time.time()
    while next_at < deadline:
        time.sleep(max(0.0, next_at - time.time()))
        roll, base = rng.random(), rng.choice(live)
        if roll < 0.4:
            serial += 1
            kind, event = "new", base.model_copy(update={"id": f"soak-{serial}", "version": 1})
            live.append(event)
        else:
            versions[base.id] = versions.get(base.id, base.version) + 1
            if roll >= 0.8:
                kind, event = "delete", type(base)(op=Op.DELETE, id=base.id, version=versions[base.id])
                live.remove(base)
            else:
                title = f"{base.title or 'Job'} (revised {versions[base.id]})"
                kind, event = "update", base.model_copy(update={"version": versions[base.id], "title": title})
        versions.setdefault(event.id, event.version)
        _send(sink, event)
        out.sent[kind] += 1
        if time.time() - flushed >= 1.0:
            out.undelivered += _flush(sink, DeliveryError)
            flushed = time.time()
        next_at += 1.0 / rps
    out.undelivered += _flush(sink, DeliveryError)
    sink.close()


def _flush(sink: Any, error: type[Exception]) -> int:
    try:
        sink.flush(10)
        return 0
    except error as e:
        print(f"  producer: {e}", flush=True)
        return int(str(e).split(" ", 1)[0]) if str(e)[:1].isdigit() else 1


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` from /proc (Linux), None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def processes(stack: Any) -> dict[str, int]:
    """name -> pid: the driver, the broker and every live Ray actor (Serve replicas included)."""
    import ray
    from ray.util.state import list_actors

    found = {"driver": os.getpid()}
    if stack.broker is not None and stack.broker.pid:
        found["broker"] = stack.broker.pid
    address = ray.get_runtime_context().gcs_address  # this stack's Ray, even when others run here
    for actor in list_actors(address=address, filters=[("state", "=", "ALIVE")], limit=1000,
                             raise_on_missing_output=False):
        label = actor.name or actor.class_name
        found[f"{label} ({actor.class_name})" if actor.name else label] = actor.pid
    return found


def sample_memory(stack: Any, minute: int, samples: dict[str, list[tuple[int, float]]]) -> None:
    for name, pid in processes(stack).items():
        mb = rss_mb(pid)
        if mb is not None:
            samples.setdefault(name, []).append((minute, mb))


def percentile(values: list[float], q: float) -> float | None:
    import numpy as np

    return round(float(np.percentile(values, q)), 4) if values else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    from semstream.stack import Stack

    data_dir = Path(tempfile.mkdtemp(prefix="semstream-soak-"))
    settings = settings_for(args, data_dir)
    stack = Stack(settings, say=lambda message: print(f"  {message}", flush=True))
    try:
        stack.start(serve_http=False)
        print(f"  ranker: {ensure_ranker(args, settings)}", flush=True)
        stack.start_serving()
        live = fill(settings, stack, args.jobs)
        return soak(args, settings, stack, live)
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def soak(args: argparse.Namespace, settings: Any, stack: Any, live: list[Any]) -> dict[str, Any]:
    import ray

    url = f"http://127.0.0.1:{settings.http_port}/v1/search/jobs"
    warm_up(url)
    for actor in stack.pool.actors.values():
        ray.get(actor.reset_freshness.remote())
    searches, updates, memory = Searches(), Updates(), {}
    start = time.time()
    deadline = start + 60 * args.minutes
    threads = [threading.Thread(target=search_loop, args=(url, args.search_rps, deadline, searches), daemon=True),
               threading.Thread(target=update_loop, args=(settings, live, args.update_rps, deadline, updates),
                                daemon=True)]
    for thread in threads:
        thread.start()
    minute = 0
    while True:
        sample_memory(stack, minute, memory)
        stack.pool.check()
        print(f"  minute {minute}: {len(searches.latencies_s)} searches, {sum(updates.sent.values())} updates",
              flush=True)
        if time.time() >= deadline:
            break
        minute += 1
        time.sleep(max(0.0, min(start + 60 * minute, deadline) - time.time()))
    for thread in threads:
        thread.join(60)
    return summary(args, stack, searches, updates, memory, time.time() - start)


def summary(args: argparse.Namespace, stack: Any, searches: Searches, updates: Updates,
            memory: dict[str, list[tuple[int, float]]], seconds: float) -> dict[str, Any]:
    stats = stack.pool.stats()
    fresh = [s["freshness_p99_s"] for s in stats if s.get("freshness_p99_s") is not None]
    n = len(searches.latencies_s)
    return {
        "config": {"minutes": args.minutes, "search_rps": args.search_rps, "update_rps": args.update_rps,
                   "jobs": args.jobs, "embed_max_tokens": args.embed_max_tokens, "cpus": os.cpu_count(),
                   "platform": platform.platform()},
        "seconds": round(seconds, 1),
        "searches": n,
        "search_p50_s": percentile(searches.latencies_s, 50),
        "search_p99_s": percentile(searches.latencies_s, 99),
        "search_error_rate": round(len(searches.errors) / n, 4) if n else None,
        "search_errors": sorted(set(searches.errors)),
        "updates_sent": updates.sent,
        "updates_undelivered": updates.undelivered,
        "freshness_p99_s": round(max(fresh), 3) if fresh else None,
        "ingest_consumed": sum(s.get("consumed", 0) for s in stats),
        "ingest_restarts": stack.pool.restarts,
        "rss_mb": {name: dict(points) for name, points in sorted(memory.items())},
        "rss_growth_mb": {name: round(points[-1][1] - points[0][1], 1)
                          for name, points in sorted(memory.items()) if len(points) > 1},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--search-rps", type=float, default=2.0)
    parser.add_argument("--update-rps", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=300, help="postings indexed before the soak starts")
    parser.add_argument("--embed-max-tokens", type=int, default=128)
    parser.add_argument("--ingest-workers", type=int, default=1)
    parser.add_argument("--models-from", help="a data dir whose models/ folder already holds a default ranker")
    parser.add_argument("--ranker-profile", default="tiny", help="training profile when no ranker is given")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb"}, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
