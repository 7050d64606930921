"""Ingest throughput and freshness, end to end: Kafka -> Ray ingest actors -> Qdrant.

One run reports:
  * the embedder's own docs/s on the same texts (item text and facts text; the ceiling),
  * end-to-end docs/s for N postings produced as fast as possible,
  * their ratio,
  * freshness (event time -> searchable) p50/p99 at a steady rate of half the measured maximum.

    python benchmarks/ingest_throughput.py --n 5000 --json benchmarks/out/ingest.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postings(settings, n: int, prefix: str):
    from semstream.topics.loaders import demo_job_events, replicate

    events = list(replicate(demo_job_events(settings), n))
    return [e.model_copy(update={"id": f"{prefix}{e.id}"}) for e in events]


def embedder_ceiling(settings, events, sample: int) -> float:
    """Docs/s of the embedder alone on what ingest embeds per posting: its item text and its facts text."""
    from semstream.actors.documents import facts_to_embed, text_to_embed
    from semstream.actors.wiring import embedder_for
    from semstream.schemas import EntityKind

    embedder = embedder_for(settings)
    docs = events[:sample]
    texts = [text_to_embed(EntityKind.JOB, e) for e in docs] + [facts_to_embed(EntityKind.JOB, e) for e in docs]
    embedder.embed(texts[:8])  # warm-up
    start = time.perf_counter()
    embedder.embed(texts)
    return len(docs) / (time.perf_counter() - start)


def produce(settings, events, rate: float | None = None) -> None:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.producer import KafkaEventSink
    from semstream.topics.registry import JOBS
    from semstream.topics.serde import encode_event

    sink = KafkaEventSink(bootstrap_servers(settings), settings)
    start = time.perf_counter()
    for i, event in enumerate(events):
        if rate:
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sink.send(JOBS, *encode_event(event))
        if rate:
            sink.flush(30)
    sink.close()


def wait_indexed(store, target: int, timeout_s: float) -> float:
    from semstream.schemas import EntityKind

    deadline = time.perf_counter() + timeout_s
    while store.count(EntityKind.JOB) < target:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {store.count(EntityKind.JOB)} of {target} indexed in {timeout_s}s")
        time.sleep(0.2)
    return time.perf_counter()


def freshness(pool) -> dict:
    import numpy as np

    stats = pool.stats()
    p99 = max((s.get("freshness_p99_s") or 0.0) for s in stats)
    p50 = float(np.median([s["freshness_p50_s"] for s in stats if s.get("freshness_p50_s") is not None]))
    return {"freshness_p50_s": p50, "freshness_p99_s": p99}


def run(n: int, steady_s: float, sample: int) -> dict:
    from semstream.actors.index_client import ActorStoreClient
    from semstream.actors.ray_actors import index_owner
    from semstream.config import load_settings
    from semstream.stack import Stack

    data_dir = Path(tempfile.mkdtemp(prefix="semstream-bench-"))
    settings = load_settings(data_dir=data_dir, broker_port=free_port(), consumer_group=f"bench-{os.getpid()}")
    burst = postings(settings, n, "b-")
    ceiling_before = embedder_ceiling(settings, burst, sample)
    load_before = os.getloadavg()[0]
    stack = Stack(settings, say=lambda m: print(f"  {m}"))
    stack.start(serve_http=False)
    try:
        store = ActorStoreClient(index_owner(settings))
        start = time.perf_counter()
        produce(settings, burst)
        end_to_end = n / (wait_indexed(store, n, timeout_s=3600) - start)
        for actor in stack.pool.actors.values():
            actor.reset_freshness.remote()
        rate = end_to_end / 2
        steady = postings(settings, int(rate * steady_s), "s-")
        produce(settings, steady, rate=rate)
        wait_indexed(store, n + len(steady), timeout_s=600)
        fresh = freshness(stack.pool)
    finally:
        stack.stop()
    # The ceiling is timed before and after the pipeline run: on a shared machine the two differ
    # when other load came or went, and the ratio is only meaningful when they agree.
    ceiling_after = embedder_ceiling(settings, burst, sample)
    ceiling = (ceiling_before + ceiling_after) / 2
    return {
        "n": n, "embedder_ceiling_docs_per_s": ceiling, "ceiling_before": ceiling_before,
        "ceiling_after": ceiling_after, "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0], "end_to_end_docs_per_s": end_to_end,
        "ratio": end_to_end / ceiling, "steady_rate_docs_per_s": rate, "steady_events": len(steady),
        **fresh, "ingest_workers": stack.pool.size, "partitions": settings.topic_partitions,
        "embed_max_tokens": settings.embed_max_tokens, "machine": machine(),
    }


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="postings in the burst phase")
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--ceiling-sample", type=int, default=512, help="texts timed for the embedder ceiling")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    figures = run(args.n, args.steady_seconds, args.ceiling_sample)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
