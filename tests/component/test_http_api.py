"""The HTTP API over the real ingress logic and stage services, with in-memory twins below.

Twins: MemoryStore, HashEmbedder, the keyword QU twin, a word-overlap ranker, a list sink.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from semstream.deployments.depth import DepthController
from semstream.deployments.feedback import encode_feedback
from semstream.deployments.http import create_api
from semstream.deployments.local import LocalPipeline
from semstream.deployments.retrieval import RetrievalService
from semstream.deployments.search import SearchService
from semstream.deployments.twins import RuleQU, documents
from semstream.deployments.understanding import UnderstandingService
from semstream.errors import StoreUnavailable
from semstream.schemas import EntityKind
from semstream.store.memory import MemoryStore

from serving_twins import JOBS, Stack, make_stack  # noqa: E402  (tests/component helper)


@pytest.fixture
def stack() -> Stack:
    return make_stack()


def _search(stack: Stack, vertical: str = "jobs", **body: object) -> dict:
    response = stack.client.post(f"/v1/search/{vertical}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_job_search_ranks_and_describes_results(stack: Stack) -> None:
    data = _search(stack, query="python developer", k=3)
    items = data["items"]
    assert [i["rank"] for i in items] == [1, 2, 3]
    assert items[0]["id"] == "j1" and items[0]["title"] == "Python developer"
    assert items[0]["company"] == "Acme" and items[0]["skills"] == ["python", "django"]
    assert items[0]["snippet"] == "Build Python web services."
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert data["ranker"] == {"variant": "overlap-twin", "version": "0", "degraded": False, "reason": None}
    assert data["models"]["embedder"] == "hash-64"
    assert set(data["timings_ms"]) == {"understand", "retrieve", "rank", "total"}
    assert data["depth"] == {"requested": 100, "retrieved": 5, "ranked": 5, "collapsed": 0}


def test_a_re_posted_duplicate_takes_one_slot() -> None:
    stack = make_stack()
    repost = {**JOBS[0], "id": "j1-repost", "title": "  python DEVELOPER "}  # same posting, new id
    stack.store.apply(documents(EntityKind.JOB, [repost], stack.embedder))
    data = _search(stack, query="python developer", k=5)
    ids = [i["id"] for i in data["items"]]
    assert len({"j1", "j1-repost"} & set(ids)) == 1 and len(ids) == 5
    assert data["depth"] == {"requested": 100, "retrieved": 6, "ranked": 5, "collapsed": 1}


def test_the_ranker_gets_the_query_vector_retrieval_searched_with(stack: Stack) -> None:
    _search(stack, query="python developer", k=3)
    searched = stack.embedder.embed(["python developer"])[0]
    assert stack.ranker.last_query.vector == pytest.approx(list(searched), abs=1e-6)


def test_people_search_reads_the_people_collection(stack: Stack) -> None:
    data = _search(stack, "people", query="python developer", k=2)
    assert data["vertical"] == "people"
    assert data["items"][0]["id"] == "p1"
    assert data["items"][0]["headline"] == "Python developer" and data["items"][0]["name"] == "Ada L."
    assert all(i["id"].startswith("p") for i in data["items"])


def test_remote_facet_filters_and_is_reported(stack: Stack) -> None:
    data = _search(stack, query="python remote", k=2)
    assert {i["id"] for i in data["items"]} == {"j1", "j4"}
    assert all(i["remote"] == "remote" and not i["relaxed"] for i in data["items"])
    assert data["applied_facets"][0]["id"] == "remote:remote"
    assert data["relaxed"] == []


def test_location_facet_filters(stack: Stack) -> None:
    data = _search(stack, query="engineer in berlin", k=2)
    assert {i["id"] for i in data["items"]} <= {"j1", "j3", "j5"}
    assert [f["id"] for f in data["applied_facets"]] == ["city:berlin"]
    assert all(i["location"] == "Berlin" for i in data["items"])


def test_disabled_facet_is_dropped_from_filter_and_facets(stack: Stack) -> None:
    data = _search(stack, query="python remote", k=5, disabled_facets=["remote:remote"])
    assert data["applied_facets"] == []
    assert data["disabled_facets"] == ["remote:remote"]
    assert "j2" in {i["id"] for i in data["items"]}  # an onsite python job is back


def test_too_few_matches_relax_the_filter_and_say_so(stack: Stack) -> None:
    data = _search(stack, query="nurse remote", k=3)
    assert data["relaxed"] == ["remote"]
    # items matching every filter stay first; the onsite nurse job is found after relaxing, and flagged
    assert [(i["id"], i["relaxed"]) for i in data["items"][:2]] in ([("j1", False), ("j4", False)],
                                                                    [("j4", False), ("j1", False)])
    assert (data["items"][2]["id"], data["items"][2]["relaxed"]) == ("j5", True)


def test_explicit_filters_are_never_relaxed(stack: Stack) -> None:
    data = _search(stack, query="python", k=10, filters={"remote": "onsite"})
    assert [i["id"] for i in data["items"]] == ["j2", "j5"]
    assert data["relaxed"] == []


def test_slow_ranker_answers_in_retrieval_order_and_flags_it() -> None:
    stack = make_stack(deadline_s=0.05)
    stack.ranker.delay_s = 1.0
    data = _search(stack, query="python developer", k=4)
    assert data["ranker"]["degraded"] is True
    assert "deadline" in data["ranker"]["reason"]
    retrieval = [i["retrieval_score"] for i in data["items"]]
    assert retrieval == sorted(retrieval, reverse=True)
    assert [i["score"] for i in data["items"]] == retrieval
    assert data["timings_ms"]["rank"] < 1000


def test_failing_ranker_degrades_instead_of_failing(stack: Stack) -> None:
    def boom(query, items):
        raise RuntimeError("model exploded")

    stack.ranker.score = boom  # type: ignore[method-assign]
    data = _search(stack, query="python", k=2)
    assert data["ranker"]["degraded"] is True
    assert "model exploded" in data["ranker"]["reason"]
    assert len(data["items"]) == 2


def test_repeat_query_is_served_from_the_cache(stack: Stack) -> None:
    first = _search(stack, query="python developer", k=3, searcher={"id": "u1"})
    calls = stack.ranker.calls
    second = _search(stack, query="Python  developer!", k=3, searcher={"id": "u1"})
    assert (first["cache_hit"], second["cache_hit"]) == (False, True)
    assert second["cache"] == {"hit": True, "reused": 5, "scored": 0}
    assert stack.ranker.calls == calls
    assert [i["id"] for i in second["items"]] == [i["id"] for i in first["items"]]
    other = _search(stack, query="python developer", k=3, searcher={"id": "u2"})
    assert other["cache_hit"] is False


def test_an_index_update_changes_a_cached_result(stack: Stack) -> None:
    before = _search(stack, query="python developer", k=5)
    assert before["items"][0]["id"] == "j1"
    # j1 is rewritten (new version): its cached score must not be served any more
    stack.store.apply(documents(EntityKind.JOB, [{**JOBS[0], "version": 2, "title": "Python developer Django",
                                                  "skills": ["django"]}], stack.embedder))
    after = _search(stack, query="python developer", k=5)
    assert after["cache"]["scored"] == 1 and after["cache"]["reused"] == 4
    j1 = next(i for i in after["items"] if i["id"] == "j1")
    assert j1["version"] == 2 and j1["title"] == "Python developer Django"


def test_invalidation_by_id_forces_a_rescore(stack: Stack) -> None:
    _search(stack, query="python developer", k=5)
    assert stack.ranking.invalidate(EntityKind.JOB, ["j4", "j5"]) == 2
    again = _search(stack, query="python developer", k=5)
    assert again["cache"] == {"hit": False, "reused": 3, "scored": 2}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "x", "k": 101}, "k"),
        ({"query": "x", "depth": 1001}, "depth"),
        ({"query": "x" * 501}, "query"),
        ({"query": ""}, "query"),
        ({"query": "x", "filters": {"salary": "high"}}, "filters.salary"),
        ({"query": "x", "k": "many"}, "k"),
    ],
)
def test_bad_search_input_is_a_422_naming_the_field(stack: Stack, body: dict, field: str) -> None:
    response = stack.client.post("/v1/search/jobs", json=body)
    assert response.status_code == 422
    assert response.json()["fields"] == [field]
    assert response.json()["message"].startswith(f"{field}:")


def test_unknown_vertical_is_a_404(stack: Stack) -> None:
    assert stack.client.post("/v1/search/cats", json={"query": "x"}).status_code == 404


def test_feedback_writes_an_engagement_event(stack: Stack) -> None:
    body = {"vertical": "jobs", "action": "apply", "query": "python", "item_id": "j1", "position": 2,
            "searcher_id": "u1"}
    response = stack.client.post("/v1/feedback", json=body)
    assert response.status_code == 202
    assert response.json() == {"accepted": True, "topic": "engagement.v1"}
    [(topic, key, value)] = stack.sink.records
    event = json.loads(value)
    assert (topic, key) == ("engagement.v1", b"u1")  # keyed by searcher
    assert {k: event[k] for k in ("query_text", "searcher_id", "item_id", "position", "action")} == {
        "query_text": "python", "searcher_id": "u1", "item_id": "j1", "position": 2, "action": "apply"}
    assert event["kind"] == "job" and event["ts"] > 0


def test_a_click_on_a_person_is_recorded_as_a_profile_view(stack: Stack) -> None:
    body = {"vertical": "people", "action": "click", "query": "nurse", "item_id": "p2", "position": 0}
    assert stack.client.post("/v1/feedback", json=body).status_code == 202
    event = json.loads(stack.sink.records[0][2])
    assert (event["kind"], event["action"], event["searcher_id"]) == ("profile", "profile_view", "anonymous")


def test_bad_feedback_is_a_422(stack: Stack) -> None:
    body = {"vertical": "people", "action": "apply", "query": "nurse", "item_id": "p2", "position": 1}
    response = stack.client.post("/v1/feedback", json=body)
    assert response.status_code == 422 and response.json()["fields"] == ["action"]
    assert stack.sink.records == []


class DownStore(MemoryStore):
    def search(self, *args, **kwargs):
        raise StoreUnavailable("index owner did not answer search")

    def count(self, kind):
        raise StoreUnavailable("index owner did not answer count")


def test_store_outage_is_a_503_naming_the_stage() -> None:
    stack = make_stack(store=DownStore())
    response = stack.client.post("/v1/search/jobs", json={"query": "python"})
    assert response.status_code == 503
    assert response.json()["message"].startswith("retrieval failed: index owner did not answer")
    ready = stack.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["stages"]["retrieval"]["ok"] is False


def test_health_readiness_docs_and_page(stack: Stack) -> None:
    assert stack.client.get("/healthz").json() == {"status": "ok"}
    ready = stack.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["stages"]["retrieval"]["detail"] == {"job": 5, "profile": 3}
    assert "swagger" in stack.client.get("/docs").text.lower()
    paths = stack.client.get("/openapi.json").json()["paths"]
    assert {"/v1/search/jobs", "/v1/search/people", "/v1/feedback", "/healthz", "/readyz"} <= set(paths)
    page = stack.client.get("/")
    assert page.status_code == 200 and 'id="q"' in page.text and 'id="tab-people"' in page.text
    assert "disabled_facets" in stack.client.get("/static/app.js").text


def test_depth_drops_under_concurrent_load_and_comes_back() -> None:
    depth = DepthController(normal=4, reduced=2, target_inflight=2, deadline_s=2.0, patience=2, cooldown_s=0.3)
    stack = make_stack(depth=depth)
    stack.ranker.delay_s = 0.05  # requests pile up behind the one ranker thread
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda i: _search(stack, query=f"python {i}", k=5), range(12)))
    assert min(a["depth"]["ranked"] for a in answers) == 2  # later requests were ranked at the lower depth
    decisions = stack.client.get("/v1/stats").json()["depth"]["decisions"]
    assert (decisions[0]["old"], decisions[0]["new"]) == (4, 2)
    stack.ranker.delay_s = 0.0
    time.sleep(0.4)  # calm for longer than the cooldown
    assert _search(stack, query="java", k=5)["depth"]["ranked"] == 4
    assert stack.client.get("/v1/stats").json()["depth"]["decisions"][-1]["new"] == 4


def test_stats_show_depth_and_cache(stack: Stack) -> None:
    _search(stack, query="python", k=2)
    _search(stack, query="python", k=2)
    stats = stack.client.get("/v1/stats").json()
    assert stats["depth"]["depth"] == 250 and stats["depth"]["decisions"] == []
    assert stats["cache"]["hits"] >= 5 and stats["cache"]["entries"] == 1



class StuckRanking(LocalPipeline):
    async def rank(self, req):
        await asyncio.sleep(5)


def test_a_ranking_stage_that_does_not_answer_degrades_with_the_reason() -> None:
    stack = make_stack()
    pipeline = StuckRanking(UnderstandingService(RuleQU()), RetrievalService(stack.store, stack.embedder),
                            stack.ranking)
    service = SearchService(pipeline, stack.sink, encode_feedback, retrieve_k=100, rank_depth=50, rank_timeout_s=0.2)
    data = TestClient(create_api(service)).post("/v1/search/jobs", json={"query": "python", "k": 2}).json()
    assert data["ranker"]["degraded"] is True
    assert data["ranker"]["reason"] == "ranking did not answer within 0.2 s"
    assert len(data["items"]) == 2


def test_feedback_round_trips_through_the_in_memory_broker() -> None:
    from semstream.models.engagement.schema import EngagementEvent
    from semstream.topics.memory import MemoryBroker
    from semstream.topics.registry import ENGAGEMENT

    broker = MemoryBroker(default_partitions=2)
    stack = make_stack()
    pipeline = LocalPipeline(UnderstandingService(RuleQU()), RetrievalService(stack.store, stack.embedder),
                             stack.ranking)
    service = SearchService(pipeline, broker.sink(), encode_feedback)
    client = TestClient(create_api(service))
    for position, item in enumerate(["j1", "j4"]):
        body = {"vertical": "jobs", "action": "impression", "query": "python remote", "item_id": item,
                "position": position, "searcher_id": "s9"}
        assert client.post("/v1/feedback", json=body).status_code == 202
    [first, second] = [EngagementEvent.model_validate_json(r.value) for r in broker.records(ENGAGEMENT)]
    assert (first.item_id, first.position, second.item_id, second.position) == ("j1", 0, "j4", 1)
    assert first.kind is EntityKind.JOB and first.key == "s9"
