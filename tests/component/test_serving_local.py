"""The real four-deployment graph in Serve's local testing mode (one process, real handles and batching).

Twins below the deployments: MemoryStore, HashEmbedder, the keyword QU twin, a word-overlap ranker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from ray import serve
from ray.serve import batching

from semstream.config import load_settings
from semstream.deployments.app import build_app, build_graph, deployment_options
from semstream.deployments.twins import InProcess, ListSink, OverlapRanker, RuleQU, documents
from semstream.errors import ConfigError
from semstream.models.embedder import HashEmbedder
from semstream.models.facts import as_stored
from semstream.models.item_text import item_facts, item_text
from semstream.schemas import EntityKind
from semstream.store.memory import MemoryStore

JOBS = [
    {"id": "j1", "title": "Python developer", "city": "berlin", "remote": "remote"},
    {"id": "j2", "title": "Python engineer", "city": "paris", "remote": "onsite"},
    {"id": "j3", "title": "Java engineer", "city": "berlin", "remote": "remote"},
]
PEOPLE = [{"id": "p1", "headline": "Python developer", "city": "berlin"},
          {"id": "p2", "headline": "Nurse", "city": "paris"}]


@dataclass
class Graph:
    handle: object
    store: MemoryStore
    ranker: OverlapRanker
    sink: ListSink
    embedder: HashEmbedder

    def search(self, vertical: str, **body: object) -> dict:
        return self.handle.search.remote(vertical, body).result(timeout_s=30)


@pytest.fixture(scope="module")
def graph() -> Iterator[Graph]:
    # Ray 2.60's local testing mode sets no replica context, and @serve.batch reads one only to log a
    # max_ongoing_requests warning when its queue is created; skip that check here.
    saved = batching._BatchQueue._warn_if_max_batch_size_exceeds_max_ongoing_requests
    batching._BatchQueue._warn_if_max_batch_size_exceeds_max_ongoing_requests = lambda self: None
    embedder, store, ranker, sink = HashEmbedder(), MemoryStore(), OverlapRanker(), ListSink()
    store.apply(documents(EntityKind.JOB, JOBS, embedder) + documents(EntityKind.PROFILE, PEOPLE, embedder))
    settings = load_settings(serve_rank_deadline_ms=300, serve_rank_depth=10, serve_retrieve_k=50)
    app = build_graph(settings, make_qu=InProcess(RuleQU()), make_store=InProcess(store),
                      make_embedder=InProcess(embedder), make_ranker=InProcess(ranker), make_sink=InProcess(sink))
    handle = serve.run(app, name="semstream-local", route_prefix=None, _local_testing_mode=True)
    yield Graph(handle, store, ranker, sink, embedder)
    batching._BatchQueue._warn_if_max_batch_size_exceeds_max_ongoing_requests = saved
    _drop_batch_queues()


def _drop_batch_queues() -> None:
    """Local mode builds @serve.batch queues in this process, inside the decorated function's
    closure; drop them so a later real deployment of the same class can still be pickled."""
    from semstream.deployments.app import RankingDeployment

    pending, seen = [RankingDeployment.func_or_class._rank_batch], set()
    while pending:
        fn = pending.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for cell in getattr(fn, "__closure__", None) or ():
            value = cell.cell_contents
            if isinstance(value, batching._LazyBatchQueueWrapper):
                value._queue = None
            elif callable(value):
                pending.append(value)


def test_searches_both_verticals_through_all_four_deployments(graph: Graph) -> None:
    jobs = graph.search("jobs", query="python developer", k=2)
    people = graph.search("people", query="python developer", k=2)
    assert jobs["items"][0]["id"] == "j1" and people["items"][0]["id"] == "p1"
    assert jobs["ranker"]["variant"] == "overlap-twin" and not jobs["ranker"]["degraded"]
    assert jobs["models"]["qu"].startswith("RuleQU") and jobs["depth"]["ranked"] == 3


def test_the_ranker_gets_each_candidate_with_its_stored_and_facts_vectors(graph: Graph) -> None:
    graph.search("jobs", query="java engineer facts", k=3)
    handed = {item.id: item for item in graph.ranker.last_items}
    assert set(handed) == {"j1", "j2", "j3"}
    for job in JOBS:
        payload = {k: v for k, v in job.items() if k != "id"}
        facts = as_stored(graph.embedder.embed([item_facts(EntityKind.JOB, payload)])[0])
        assert np.array_equal(handed[job["id"]].facts_vector, facts)
        assert np.allclose(handed[job["id"]].vector, graph.embedder.embed([item_text(EntityKind.JOB, payload)])[0])


def test_remote_and_location_filters_apply(graph: Graph) -> None:
    data = graph.search("jobs", query="engineer in berlin remote", k=1)
    assert [i["id"] for i in data["items"]] == ["j3"]
    assert {f["id"] for f in data["applied_facets"]} == {"remote:remote", "city:berlin"}


def test_concurrent_requests_share_ranking_batches(graph: Graph) -> None:
    responses = [graph.handle.search.remote("jobs", {"query": f"python {i}", "k": 3}) for i in range(12)]
    results = [r.result(timeout_s=60) for r in responses]
    assert all(len(r["items"]) == 3 and not r["ranker"]["degraded"] for r in results)


def test_an_index_update_changes_a_cached_result(graph: Graph) -> None:
    body = {"query": "python developer", "k": 3, "searcher": {"id": "cache-test"}}
    first = graph.search("jobs", **body)
    assert graph.search("jobs", **body)["cache_hit"] is True
    graph.store.apply(documents(EntityKind.JOB, [{**JOBS[2], "version": 2, "title": "Python developer lead"}],
                                graph.embedder))
    after = graph.search("jobs", **body)
    assert after["cache_hit"] is False and after["cache"]["scored"] == 1
    j3 = next(i for i in after["items"] if i["id"] == "j3")
    assert j3["version"] == 2 and j3["score"] > next(i for i in first["items"] if i["id"] == "j3")["score"]


def test_feedback_goes_to_the_engagement_sink(graph: Graph) -> None:
    ack = graph.handle.feedback.remote({"vertical": "jobs", "action": "click", "query": "python", "item_id": "j1",
                                        "position": 0, "searcher_id": "s1"}).result(timeout_s=30)
    assert ack["topic"] == "engagement.v1"
    topic, key, value = graph.sink.records[-1]
    assert (topic, key, json.loads(value)["action"]) == ("engagement.v1", b"s1", "click")


def test_slow_ranker_answer_keeps_retrieval_order(graph: Graph) -> None:
    graph.ranker.delay_s = 1.0
    try:
        data = graph.search("jobs", query="java engineer", k=3, searcher={"id": "slow"})
    finally:
        graph.ranker.delay_s = 0.0
        time.sleep(1.1)  # let the late scoring finish before other tests rank
    assert data["ranker"]["degraded"] is True and "deadline" in data["ranker"]["reason"]
    retrieval = [i["retrieval_score"] for i in data["items"]]
    assert retrieval == sorted(retrieval, reverse=True)


def test_unknown_vertical_is_refused_by_name(graph: Graph) -> None:
    with pytest.raises(ValueError, match="unknown vertical 'cats'"):
        graph.search("cats", query="x")


def test_build_app_rejects_unknown_args() -> None:
    with pytest.raises(ConfigError, match="serve_rank_dept"):
        build_app({"serve_rank_dept": 5})


def test_deployment_options_follow_settings() -> None:
    settings = load_settings(serve_rank_batch_size=32, serve_gpu_fraction=0.25, serve_max_replicas=3)
    ranking = deployment_options(settings, "Ranking")
    assert ranking["max_ongoing_requests"] >= 32
    assert ranking["autoscaling_config"]["target_ongoing_requests"] == 32
    assert ranking["autoscaling_config"]["max_replicas"] == 3
    assert ranking["ray_actor_options"]["num_gpus"] == 0.25
    assert "num_gpus" not in deployment_options(settings, "Ingress")["ray_actor_options"]
    assert "num_gpus" not in deployment_options(load_settings(), "Ranking")["ray_actor_options"]
