"""A Serve replica killed under load: Serve must replace it and searches must succeed again.

The whole stack runs with serving over HTTP (one replica per deployment, so the killed one is the
only one of its kind) and a tiny ranker trained through the ranker registry once per session.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from helpers import expected, indexed, job_ids, produce, report, scenario, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RECOVERY_BOUND_S = 120.0   # generous: a replica start loads its models on a shared 2-core machine


@dataclass
class Outcome:
    sent_at: float
    ok: bool
    detail: str
    seconds: float = 0.0


class SearchLoad:
    """Sends job searches at a steady rate from a thread; bounded in count and time."""

    def __init__(self, url: str, rps: float = 4.0, max_s: float = 300.0) -> None:
        self.url, self.period_s, self.max_s = url, 1.0 / rps, max_s
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SearchLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        started = time.time()
        while not self._stop.is_set() and time.time() - started < self.max_s:
            self.outcomes.append(self._one())
            self._stop.wait(self.period_s)

    def _one(self) -> Outcome:
        sent = time.time()
        body = json.dumps({"query": "backend engineer", "k": 5}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                items = json.loads(answer.read())["items"]
                return Outcome(sent, bool(items), f"{len(items)} items", time.time() - sent)
        except (urllib.error.URLError, OSError, ValueError) as e:
            return Outcome(sent, False, str(e)[:120], time.time() - sent)

    def succeeded_since(self, since: float, n: int) -> bool:
        """The last ``n`` answers were all good, and all were sent after ``since``."""
        tail = [o for o in self.outcomes if o.sent_at > since][-n:]
        return len(tail) == n and all(o.ok for o in tail)


def _replica(deployment: str):
    """The Ray actor of the one replica of ``deployment`` in the semstream app."""
    import ray

    names = [a for a in ray.util.list_named_actors(all_namespaces=True)
             if a["name"].startswith("SERVE_REPLICA::") and f"#{deployment}#" in a["name"]]
    assert len(names) == 1, f"expected one {deployment} replica, found {names}"
    return names[0]["name"], ray.get_actor(names[0]["name"], namespace=names[0]["namespace"])


def test_killed_retrieval_replica_is_replaced_and_searches_recover(ranker_data_dir, own_ray):
    import ray

    from semstream.actors.index_client import ActorStoreClient
    from semstream.config import load_settings
    from semstream.stack import Stack
    from semstream.topics.broker import free_port

    settings = load_settings(
        data_dir=ranker_data_dir, shared_data_dir=ranker_data_dir / "no-public-data", broker_port=free_port(),
        http_port=free_port(), ray_dashboard_port=free_port(), ray_num_cpus=6, ingest_workers=1, torch_threads=1,
        embed_max_tokens=64, load_demo=False, serve_min_replicas=1, serve_max_replicas=1, serve_rank_depth=20,
        serve_rank_depth_low=10, serve_retrieve_k=50, consumer_group="serve-fault-test",
    )
    events, _ = scenario(n=20, seed=31)
    stack = Stack(settings, say=lambda message: None)
    try:
        stack.start(serve_http=True)
        produce(settings, events)
        store = ActorStoreClient.for_settings(settings)
        wait_for(lambda: indexed(store, job_ids(0, 20)) == expected(events), 180, "the postings to be indexed")
        url = f"http://127.0.0.1:{settings.http_port}/v1/search/jobs"
        with SearchLoad(url) as load:
            wait_for(lambda: load.succeeded_since(0, 3), 120, "searches to succeed before the fault")
            name, replica = _replica("Retrieval")
            killed_at = time.time()
            ray.kill(replica)
            wait_for(lambda: _replica_replaced(name), RECOVERY_BOUND_S, "Serve to start a new replica", every_s=1)
            replaced_s = time.time() - killed_at
            wait_for(lambda: load.succeeded_since(killed_at, 5), RECOVERY_BOUND_S, "searches to succeed again")
        after = [o for o in load.outcomes if o.sent_at > killed_at]
    finally:
        stack.stop()
    failed = [o for o in after if not o.ok]
    last_failure_s = max((o.sent_at - killed_at for o in failed), default=0.0)
    slowest = max(o.seconds for o in after)
    report(f"Retrieval replica killed: new replica after {replaced_s:.1f} s; {len(failed)} of {len(after)} searches "
           f"failed meanwhile (slowest answer {slowest:.1f} s); last failure sent", last_failure_s)
    assert last_failure_s < RECOVERY_BOUND_S
    assert all(o.ok for o in after[-5:])


def _replica_replaced(old_name: str) -> bool:
    import ray

    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a["name"].startswith("SERVE_REPLICA::") and "#Retrieval#" in a["name"]]
    return bool(names) and old_name not in names
