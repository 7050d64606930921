"""The whole stack over real HTTP: Kafka events in, searches and feedback out through Ray Serve.

One stack per module (embedded broker, Ray, the index owner, an ingest actor, the four Serve
deployments with a tiny trained ranker). Postings and profiles are produced to their topics; the
tests find them through both endpoints, filter them, see updates and deletes, send feedback that
lands on ``engagement.v1``, get 4xx answers for bad requests, and drive the page in Chromium.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from devtools import CHROMIUM, chromium_devtools, open_page, result_ids
from helpers import data_dir_with_ranker, wait_for

from semstream.config import Settings
from semstream.topics.registry import ENGAGEMENT, JOBS, PROFILES

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CITIES = ["Berlin, Germany", "London, United Kingdom", "Paris, France"]


def posting(i: int, version: int = 1, **fields: Any) -> dict:
    event = {"op": "upsert", "id": f"job-{i}", "version": version, "title": f"Backend engineer {i}",
             "company": f"Company {i % 3}", "location": CITIES[i % 3], "remote": "remote" if i % 2 else "onsite",
             "skills": ["python", "kafka"], "description": "Build streaming data services in Python."}
    return event | fields


def profile(i: int) -> dict:
    return {"op": "upsert", "id": f"person-{i}", "version": 1, "name": f"Member {i}",
            "headline": "Data engineer building pipelines", "current_title": "Data Engineer",
            "location": CITIES[i % 3], "skills": ["spark", "python", "sql"], "years_experience": 3 + i}


@dataclass
class Live:
    settings: Settings
    base: str
    http: httpx.Client

    def search(self, vertical: str, **body: Any) -> httpx.Response:
        return self.http.post(f"{self.base}/v1/search/{vertical}", json=body)

    def ids(self, vertical: str, **body: Any) -> list[str]:
        answer = self.search(vertical, **body)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]


def send(settings: Settings, topic: str, events: list[dict]) -> None:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.producer import KafkaEventSink

    sink = KafkaEventSink(bootstrap_servers(settings), settings)
    for e in events:
        sink.send(topic, e["id"].encode(), json.dumps(e).encode())
    sink.flush(30)
    sink.close()


@pytest.fixture(scope="module")
def live(tiny_ranker_home, tmp_path_factory) -> Iterator[Live]:
    import ray

    from semstream.config import load_settings
    from semstream.stack import Stack
    from semstream.topics.broker import free_port

    ray.shutdown()  # the module runs its own Ray (the stack's)
    data_dir = data_dir_with_ranker(tiny_ranker_home, tmp_path_factory)
    settings = load_settings(
        data_dir=data_dir, shared_data_dir=data_dir / "no-public-data", broker_port=free_port(), http_port=free_port(),
        ray_dashboard_port=free_port(), ray_num_cpus=6, ingest_workers=1, torch_threads=1, embed_max_tokens=64,
        load_demo=False, serve_min_replicas=1, serve_max_replicas=1, serve_rank_depth=20, serve_rank_depth_low=10,
        serve_retrieve_k=50, serve_rank_deadline_ms=5000, consumer_group="serving-stack-test",
    )
    stack = Stack(settings, say=lambda message: None)
    try:
        stack.start(serve_http=True)
        send(settings, JOBS, [posting(i) for i in range(12)])
        send(settings, PROFILES, [profile(i) for i in range(6)])
        with httpx.Client(timeout=30) as http:
            yield Live(settings, f"http://127.0.0.1:{settings.http_port}", http)
    finally:
        stack.stop()
        ray.shutdown()


def _indexed(live: Live, vertical: str, want: set[str], **body: Any) -> bool:
    return want <= set(live.ids(vertical, k=50, **body))


def test_postings_and_profiles_are_found_through_both_endpoints(live: Live) -> None:
    wait_for(lambda: _indexed(live, "jobs", {f"job-{i}" for i in range(12)}, query="backend engineer"), 180,
             "every posting to be searchable")
    wait_for(lambda: _indexed(live, "people", {f"person-{i}" for i in range(6)}, query="data engineer"), 120,
             "every profile to be searchable")
    body = live.search("jobs", query="backend engineer python", k=5).json()
    assert len(body["items"]) == 5 and [item["rank"] for item in body["items"]] == [1, 2, 3, 4, 5]
    assert all(0.0 <= item["score"] <= 1.0 and item["title"].startswith("Backend engineer") for item in body["items"])
    assert body["ranker"]["variant"] and body["ranker"]["version"] and set(body["timings_ms"]) >= {"rank", "total"}
    people = live.search("people", query="data engineer", k=3).json()["items"]
    assert len(people) == 3 and all(p["id"].startswith("person-") and p["headline"] for p in people)


def test_remote_and_city_filters_apply_over_http(live: Live) -> None:
    wait_for(lambda: _indexed(live, "jobs", {f"job-{i}" for i in range(12)}, query="backend engineer"), 180,
             "every posting to be searchable")
    remote = live.ids("jobs", query="backend engineer", k=50, filters={"remote": "remote"})
    assert sorted(remote) == sorted(f"job-{i}" for i in range(1, 12, 2))
    berlin = live.ids("jobs", query="backend engineer", k=50, filters={"city": "Berlin"})
    assert sorted(berlin) == sorted(f"job-{i}" for i in range(0, 12, 3))


def test_an_update_and_a_delete_show_in_search_results(live: Live) -> None:
    wait_for(lambda: _indexed(live, "jobs", {"job-4", "job-5"}, query="backend engineer"), 180, "the postings")
    live.ids("jobs", query="backend engineer", k=50)  # cached now: the update below must invalidate it
    send(live.settings, JOBS, [posting(4, version=2, title="Staff platform engineer 4"),
                               {"op": "delete", "id": "job-5", "version": 2}])

    def changed() -> bool:
        items = {i["id"]: i for i in live.search("jobs", query="backend engineer", k=50).json()["items"]}
        return "job-5" not in items and items.get("job-4", {}).get("title") == "Staff platform engineer 4"

    took = wait_for(changed, 60, "the update and the delete to show in search")
    print(f"\n[freshness] update and delete visible to search after {took:.1f} s")


def test_feedback_lands_on_the_engagement_topic(live: Live) -> None:
    from semstream.actors.wiring import bootstrap_servers
    from semstream.topics.consumer import KafkaEventSource

    query = f"feedback probe {time.time_ns()}"
    answer = live.http.post(f"{live.base}/v1/feedback", json={
        "vertical": "jobs", "action": "apply", "query": query, "item_id": "job-3", "position": 2})
    assert answer.status_code == 202 and answer.json()["topic"] == ENGAGEMENT
    reader = KafkaEventSource(bootstrap_servers(live.settings),
                              live.settings.model_copy(update={"consumer_group": "engagement-reader"}), [ENGAGEMENT])
    seen: list[dict] = []
    try:
        wait_for(lambda: bool(seen.extend(json.loads(r.value) for r in reader.poll(100, 500))
                              or [e for e in seen if e.get("query_text") == query]), 60, "the feedback event")
    finally:
        reader.close()
    event = next(e for e in seen if e.get("query_text") == query)
    assert (event["item_id"], event["action"], event["position"]) == ("job-3", "apply", 2)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/search/jobs", {"query": "engineer", "k": 1000}, "k"),
    ("/v1/search/jobs", {"query": ""}, "query"),
    ("/v1/search/people", {"query": "engineer", "filters": {"remote": "remote"}}, "filters"),
    ("/v1/feedback", {"vertical": "jobs", "action": "connect", "query": "x", "item_id": "j", "position": 0}, "action"),
])
def test_bad_requests_get_a_4xx_naming_the_field(live: Live, path: str, body: dict, field: str) -> None:
    answer = live.http.post(f"{live.base}{path}", json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert field in json.dumps(answer.json())


def test_a_body_that_is_not_json_gets_a_4xx(live: Live) -> None:
    answer = live.http.post(f"{live.base}/v1/search/jobs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500 and answer.json()["error"]


def test_health_and_openapi_are_served(live: Live) -> None:
    assert live.http.get(f"{live.base}/healthz").status_code == 200
    wait_for(lambda: live.http.get(f"{live.base}/readyz").status_code == 200, 60, "readiness")
    paths = live.http.get(f"{live.base}/openapi.json").json()["paths"]
    assert {"/v1/search/jobs", "/v1/search/people", "/v1/feedback"} <= set(paths)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_the_search_page_finds_postings_and_people_in_a_real_browser(live: Live) -> None:
    wait_for(lambda: _indexed(live, "people", {f"person-{i}" for i in range(6)}, query="data engineer"), 180,
             "the profiles")
    with chromium_devtools() as endpoint:
        asyncio.run(_page_scenario(endpoint, live.base + "/"))


async def _page_scenario(endpoint: str, url: str) -> None:
    page, ws = await open_page(endpoint, url, timeout_s=30)
    try:
        await page.eval("document.getElementById('q').value = 'backend engineer';"
                        "document.getElementById('search-form').requestSubmit()")
        jobs = await result_ids(page, timeout_s=30, startswith="job-")
        assert jobs and all(i.startswith("job-") for i in jobs)
        await page.eval(f"document.querySelector('#results li[data-id=\"{jobs[0]}\"] a.title').click()")
        await page.wait_for("document.getElementById('status').textContent.startsWith('Recorded click')", 30)
        await page.eval("document.getElementById('q').value = 'data engineer';"
                        "document.getElementById('tab-people').click()")
        people = await result_ids(page, timeout_s=30, startswith="person-")
        assert all(i.startswith("person-") for i in people)
    finally:
        await ws.close()
