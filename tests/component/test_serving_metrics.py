"""Serving metrics: what the stage services record (through a recording sink), and the Ray objects behind them."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ray.serve import metrics as serve_metrics
from serving_twins import make_stack

from semstream.deployments.depth import DepthDecision
from semstream.deployments.feedback import encode_feedback
from semstream.deployments.http import create_api
from semstream.deployments.local import LocalPipeline
from semstream.deployments.metrics import (
    CACHE_HITS, CACHE_REQUESTS, RANK_DEGRADED, RANK_DEPTH, RANK_DEPTH_CHANGES, RANK_ITEMS, RANK_PRESSURE,
    RANKER_BATCH, SERVING_METRICS, STAGE_LATENCY, RankingMetrics, RecordingMetrics,
)
from semstream.deployments.ray_metrics import RayMetricsSink
from semstream.deployments.retrieval import RetrievalService
from semstream.deployments.search import SearchService
from semstream.deployments.stages import Candidate, RankRequest
from semstream.deployments.twins import RuleQU
from semstream.deployments.understanding import UnderstandingService
from semstream.schemas import EntityKind

METRICS_MD = Path(__file__).resolve().parents[2] / "infra" / "METRICS.md"


def test_each_search_records_every_stage_latency_per_vertical() -> None:
    rec = RecordingMetrics()
    stack = make_stack(metrics=rec)
    data = stack.client.post("/v1/search/jobs", json={"query": "python developer", "k": 2}).json()
    stack.client.post("/v1/search/people", json={"query": "nurse", "k": 1})
    for stage in ("understand", "retrieve", "rank", "total"):
        assert rec.observed(STAGE_LATENCY, stage=stage, vertical="jobs") == [data["timings_ms"][stage]]
        assert len(rec.observed(STAGE_LATENCY, stage=stage, vertical="people")) == 1


def test_cache_lookups_and_hits_are_counted() -> None:
    rec = RecordingMetrics()
    stack = make_stack(metrics=rec)
    body = {"query": "python developer", "k": 3, "searcher": {"id": "u1"}}
    first, second = (stack.client.post("/v1/search/jobs", json=body).json() for _ in range(2))
    assert (first["cache_hit"], second["cache_hit"]) == (False, True)
    assert (rec.count(CACHE_REQUESTS), rec.count(CACHE_HITS)) == (2, 1)
    assert rec.count(RANK_ITEMS, source="ranker") == first["cache"]["scored"] == 5
    assert rec.count(RANK_ITEMS, source="cache") == second["cache"]["reused"] == 5


def test_a_ranker_that_misses_its_deadline_counts_one_degraded_answer() -> None:
    rec = RecordingMetrics()
    stack = make_stack(deadline_s=0.05, metrics=rec)
    stack.ranker.delay_s = 0.5
    data = stack.client.post("/v1/search/jobs", json={"query": "java", "k": 2}).json()
    assert data["ranker"]["degraded"] is True
    assert rec.count(RANK_DEGRADED) == 1
    assert rec.count(RANK_ITEMS, source="ranker") == 0


class StuckRanking(LocalPipeline):
    async def rank(self, req):
        await asyncio.sleep(5)


def test_an_answer_the_ingress_degrades_itself_is_counted_once() -> None:
    rec = RecordingMetrics()
    stack = make_stack()
    pipeline = StuckRanking(UnderstandingService(RuleQU()), RetrievalService(stack.store, stack.embedder),
                            stack.ranking)
    service = SearchService(pipeline, stack.sink, encode_feedback, rank_timeout_s=0.1, metrics=rec)
    data = TestClient(create_api(service)).post("/v1/search/jobs", json={"query": "python", "k": 2}).json()
    assert data["ranker"]["degraded"] is True and rec.count(RANK_DEGRADED) == 1


def test_batch_sizes_depth_and_decisions_are_recorded() -> None:
    rec = RecordingMetrics()
    stack = make_stack(metrics=rec)
    stack.ranking.metrics = RankingMetrics(rec)
    cands = [Candidate(id=f"j{i}", version=1, retrieval_score=1 - i / 10, payload={"title": "python"}) for i in range(4)]
    now = time.monotonic()
    reqs = [(RankRequest(kind=EntityKind.JOB, text=f"python {i}", candidates=cands, k=2), now) for i in range(3)]
    answers = stack.ranking.rank_batch(reqs)
    assert [a.degraded for a in answers] == [False] * 3 and rec.observed(RANKER_BATCH) == [3]
    metrics = RankingMetrics(rec)
    metrics.depth(250)
    metrics.depth_changed(DepthDecision(at=0.0, old=250, new=130, pressure=1.7, reason="load"))
    assert (rec.gauge(RANK_DEPTH), rec.gauge(RANK_PRESSURE)) == (130, 1.7)
    assert (rec.count(RANK_DEPTH_CHANGES, direction="down"), rec.count(RANK_DEPTH_CHANGES, direction="up")) == (1, 0)


def test_the_recording_sink_refuses_unknown_names_and_tags_as_ray_does() -> None:
    rec = RecordingMetrics()
    with pytest.raises(KeyError):
        rec.inc("semstream_nope")
    with pytest.raises(ValueError):
        rec.observe(STAGE_LATENCY, 1.0, tags={"stage": "rank"})
    ray_sink = RayMetricsSink()
    with pytest.raises(ValueError):
        ray_sink.observe(STAGE_LATENCY, 1.0, tags={"stage": "rank", "route": "x"})


def test_the_ray_sink_builds_every_metric_with_its_type_tags_and_buckets() -> None:
    sink = RayMetricsSink()
    classes = {"counter": serve_metrics.Counter, "gauge": serve_metrics.Gauge, "histogram": serve_metrics.Histogram}
    assert set(sink.metrics) == {s.name for s in SERVING_METRICS}
    for spec in SERVING_METRICS:
        metric = sink.metrics[spec.name]
        assert type(metric) is classes[spec.kind], spec.name
        assert tuple(metric._tag_keys) == spec.tags, spec.name
        if spec.kind == "histogram":
            assert list(metric.boundaries) == list(spec.boundaries)


def test_the_plain_services_drive_the_ray_sink_without_tag_errors() -> None:
    stack = make_stack(metrics=RayMetricsSink())
    for body in ({"query": "python", "k": 2}, {"query": "python", "k": 2}):
        assert stack.client.post("/v1/search/jobs", json=body).status_code == 200
    RankingMetrics(RayMetricsSink()).depth_changed(DepthDecision(at=0, old=130, new=250, pressure=0.1, reason="calm"))


def _documented() -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (type, tags) from the metrics table of infra/METRICS.md."""
    rows = {}
    for line in METRICS_MD.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"`semstream_\w+`", cells[0]):
            tags = tuple(re.findall(r"`(\w+)`", cells[3]))
            rows[cells[0].strip("`")] = (cells[2], tags)
    return rows


def test_serving_metric_names_types_and_tags_match_the_metrics_contract() -> None:
    if not METRICS_MD.is_file():
        pytest.skip("infra/METRICS.md not present")
    documented = _documented()
    for spec in SERVING_METRICS:
        assert spec.name in documented, f"{spec.name} missing from infra/METRICS.md"
        assert documented[spec.name] == (spec.kind, spec.tags), spec.name
