"""The HTTP API over the real ingress logic and stage services, with in-memory twins below (a test helper).

Twins: MemoryStore, HashEmbedder, the keyword QU twin, a word-overlap ranker, a list sink.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from semstream.deployments.cache import ScoreCache
from semstream.deployments.depth import DepthController
from semstream.deployments.feedback import encode_feedback
from semstream.deployments.http import create_api
from semstream.deployments.local import LocalPipeline
from semstream.deployments.metrics import MetricsSink, RankingMetrics
from semstream.deployments.ranking import RankingService
from semstream.deployments.retrieval import RetrievalService
from semstream.deployments.search import SearchService
from semstream.deployments.security import EdgePolicy
from semstream.deployments.twins import ListSink, OverlapRanker, RuleQU, documents
from semstream.deployments.understanding import UnderstandingService
from semstream.models.embedder import HashEmbedder
from semstream.schemas import EntityKind
from semstream.store.memory import MemoryStore

JOBS = [
    {"id": "j1", "title": "Python developer", "location": "Berlin", "city": "berlin", "remote": "remote",
     "skills": ["python", "django"], "company": "Acme", "description": "Build Python web services."},
    {"id": "j2", "title": "Senior Python engineer", "location": "Paris", "city": "paris", "remote": "onsite",
     "seniority": "senior", "skills": ["python"]},
    {"id": "j3", "title": "Java engineer", "location": "Berlin", "city": "berlin", "remote": "hybrid",
     "skills": ["java"]},
    {"id": "j4", "title": "Python data scientist", "location": "London", "city": "london", "remote": "remote",
     "skills": ["python", "pandas"]},
    {"id": "j5", "title": "Nurse", "location": "Berlin", "city": "berlin", "remote": "onsite"},
]
PEOPLE = [
    {"id": "p1", "name": "Ada L.", "headline": "Python developer", "current_title": "Python developer",
     "location": "Berlin", "city": "berlin", "open_to_work": True, "skills": ["python"]},
    {"id": "p2", "name": "Flo N.", "headline": "Registered nurse", "location": "Paris", "city": "paris"},
    {"id": "p3", "name": "Jo J.", "headline": "Java engineer", "location": "Berlin", "city": "berlin"},
]


@dataclass
class Stack:
    client: TestClient
    store: MemoryStore
    ranker: OverlapRanker
    ranking: RankingService
    sink: ListSink
    embedder: HashEmbedder
    service: SearchService


def make_stack(deadline_s: float = 2.0, store: object | None = None, depth: DepthController | None = None,
               policy: EdgePolicy | None = None, metrics: MetricsSink | None = None) -> Stack:
    """``metrics`` receives both the ingress's and the ranking stage's records."""
    embedder, sink, ranker = HashEmbedder(), ListSink(), OverlapRanker()
    mem = MemoryStore()
    mem.apply(documents(EntityKind.JOB, JOBS, embedder) + documents(EntityKind.PROFILE, PEOPLE, embedder))
    ranking = RankingService(ranker, deadline_s, ScoreCache(), depth or DepthController(deadline_s=deadline_s),
                             metrics=RankingMetrics(metrics))
    pipeline = LocalPipeline(UnderstandingService(RuleQU()), RetrievalService(store or mem, embedder, collapse=True), ranking)
    service = SearchService(pipeline, sink, encode_feedback, retrieve_k=100, rank_depth=50, metrics=metrics)
    return Stack(TestClient(create_api(service, policy=policy)), mem, ranker, ranking, sink, embedder, service)
