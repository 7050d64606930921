"""The stage services on their own: real query understanding, retrieval fallback, ranking depth and deadline."""

from __future__ import annotations

import time

import pytest

from semstream.deployments.cache import ScoreCache
from semstream.deployments.depth import DepthController
from semstream.deployments.ranking import RankingService
from semstream.deployments.retrieval import RetrievalService
from semstream.deployments.stages import (
    Candidate, RankRequest, Relaxation, RetrieveRequest, UnderstandRequest, float32_bytes, float32_list,
)
from semstream.deployments.twins import OverlapRanker, documents
from semstream.deployments.understanding import UnderstandingService
from semstream.models.embedder import HashEmbedder
from semstream.schemas import EntityKind
from semstream.store.filters import Filter, Match
from semstream.store.memory import MemoryStore

JOB = EntityKind.JOB


@pytest.fixture(scope="module")
def real_qu() -> UnderstandingService:
    from semstream.models.qu.service import QueryUnderstanding

    return UnderstandingService(QueryUnderstanding.load(), name="qu")


def _fields(flt: Filter) -> dict[str, object]:
    return {c.field: getattr(c, "value", None) for c in flt.must}


def test_real_qu_turns_place_and_policy_into_filters(real_qu: UnderstandingService) -> None:
    u = real_qu.understand(UnderstandRequest(kind=JOB, text="python developer remote in berlin"))
    assert _fields(u.flt) == {"remote": "remote", "city": "berlin", "country": "DE"}
    assert {"remote", "city"} <= {f.name for f in u.facets if f.hard}
    assert "python" in u.rewrite and "berlin" not in u.rewrite.casefold()
    assert u.relaxations[-1].flt == Filter()  # the ladder ends with no QU filter at all


def test_disabled_facet_leaves_filter_facets_and_ladder(real_qu: UnderstandingService) -> None:
    base = real_qu.understand(UnderstandRequest(kind=JOB, text="python developer remote in berlin"))
    city = next(f for f in base.facets if f.name == "city")
    u = real_qu.understand(UnderstandRequest(kind=JOB, text="python developer remote in berlin",
                                             disabled=[f"city:{city.value}"]))
    assert "city" not in _fields(u.flt) and "remote" in _fields(u.flt)
    assert "city" not in {f.name for f in u.facets}
    assert all("city" not in _fields(r.flt) for r in u.relaxations)


def test_explicit_filters_win_and_stay_on_every_rung(real_qu: UnderstandingService) -> None:
    u = real_qu.understand(UnderstandRequest(kind=JOB, text="python developer remote in berlin",
                                             explicit={"remote": "On-site", "skills": ["K8s"]}))
    assert _fields(u.flt)["remote"] == "onsite"
    assert "remote" not in {f.name for f in u.facets}  # the query's "remote" lost to the explicit filter
    assert Match(field="skills_key", value="kubernetes") in u.flt.must
    for rung in u.relaxations:
        assert _fields(rung.flt)["remote"] == "onsite"
    assert [r.name for r in u.relaxations] == ["city", "country"]


JOBS = [
    {"id": f"r{i}", "title": f"Python developer {i}", "remote": "remote", "city": "berlin"} for i in range(2)
] + [
    {"id": f"o{i}", "title": f"Python developer {i}", "remote": "onsite", "city": "paris"} for i in range(3)
]


@pytest.fixture
def retrieval() -> RetrievalService:
    embedder, store = HashEmbedder(), MemoryStore()
    store.apply(documents(JOB, JOBS, embedder))
    return RetrievalService(store, embedder)


def _retrieve_req(min_hits: int, ship: int = 10) -> RetrieveRequest:
    strict = Filter(must=[Match(field="remote", value="remote"), Match(field="city", value="berlin")])
    rungs = [Relaxation(name="city", flt=Filter(must=[Match(field="remote", value="remote")])),
             Relaxation(name="remote", flt=Filter())]
    return RetrieveRequest(kind=JOB, text="python developer", flt=strict, k=10, min_hits=min_hits,
                           relaxations=rungs, ship=ship)


def test_retrieval_keeps_the_filter_when_enough_match(retrieval: RetrievalService) -> None:
    r = retrieval.retrieve(_retrieve_req(min_hits=2))
    assert r.relaxed == [] and {c.id for c in r.candidates} == {"r0", "r1"}
    assert all(c.vector is not None and c.version == 1 for c in r.candidates)


def test_retrieval_relaxes_rung_by_rung_and_keeps_strict_hits_first(retrieval: RetrievalService) -> None:
    r = retrieval.retrieve(_retrieve_req(min_hits=4))
    assert r.relaxed == ["city", "remote"]  # the middle rung adds nothing new, so the last one runs too
    assert [c.tier for c in r.candidates] == [0, 0, 2, 2, 2]
    assert {c.id for c in r.candidates[:2]} == {"r0", "r1"}
    assert r.total == 5 and r.embedder == "hash-64"


def test_retrieval_ships_only_what_the_ranker_may_score(retrieval: RetrievalService) -> None:
    r = retrieval.retrieve(_retrieve_req(min_hits=5, ship=3))
    assert (r.total, len(r.candidates)) == (5, 3)


def test_retrieval_hands_on_the_vector_it_searched_with(retrieval: RetrievalService) -> None:
    r = retrieval.retrieve(_retrieve_req(min_hits=2))
    searched = HashEmbedder().embed(["python developer"])[0]
    assert float32_list(r.query_vector) == pytest.approx(list(searched), abs=1e-6)


def _candidates(n: int, tier: int = 0) -> list[Candidate]:
    return [Candidate(id=f"c{i}", version=1, retrieval_score=1 - i / 100, tier=tier,
                      payload={"title": "python developer" if i % 2 else "cook"}) for i in range(n)]


def _ranking(ranker: OverlapRanker, depth: DepthController, deadline_s: float = 2.0) -> RankingService:
    return RankingService(ranker, deadline_s, ScoreCache(), depth)


def test_ranker_scores_only_the_top_n_set_by_the_depth_controller() -> None:
    ranker = OverlapRanker()
    depth = DepthController(normal=4, reduced=2, target_inflight=1, patience=1, cooldown_s=60)
    ranking = _ranking(ranker, depth)
    req = RankRequest(kind=JOB, text="python developer", candidates=_candidates(6), k=6)
    first = ranking.rank(req)
    assert (first.depth, ranker.items_scored) == (4, 4)
    assert [c.id for c in first.items[:2]] == ["c1", "c3"]  # best scores first
    assert [c.id for c in first.items[4:]] == ["c4", "c5"]  # beyond N: retrieval order
    depth.observe(inflight=3, latency_s=0.0)  # load arrives: N drops
    ranking.cache.clear()
    second = ranking.rank(req)
    assert (second.depth, ranker.items_scored) == (2, 6)
    assert ranking.stats()["depth"]["decisions"][0]["new"] == 2


def test_the_ranker_is_handed_each_candidates_retrieval_score() -> None:
    class Recording(OverlapRanker):
        def score(self, query, items):
            self.handed = [item.retrieval_score for item in items]
            return super().score(query, items)

    ranker = Recording()
    _ranking(ranker, DepthController(normal=3, reduced=2)).rank(RankRequest(kind=JOB, text="cook", candidates=_candidates(5), k=5))
    assert ranker.handed == [1.0, 0.99, 0.98]


def test_the_ranker_is_handed_the_query_vector_retrieval_searched_with() -> None:
    class Recording(OverlapRanker):
        def score(self, query, items):
            self.vectors = getattr(self, "vectors", []) + [query.vector]
            return super().score(query, items)

    ranker, vector = Recording(), [0.5, -0.25, 1.0]
    ranking = _ranking(ranker, DepthController(normal=3, reduced=2))
    ranking.rank(RankRequest(kind=JOB, text="cook", candidates=_candidates(2), k=2, query_vector=float32_bytes(vector)))
    ranking.rank(RankRequest(kind=JOB, text="chef", candidates=_candidates(2), k=2))
    assert ranker.vectors == [vector, None]


def test_the_worker_setup_runs_in_the_thread_that_scores() -> None:
    """Torch thread counts are per OS thread: the setup must run where ``score`` runs, before it."""
    import threading

    calls: list[tuple[str, int]] = []

    class Recording(OverlapRanker):
        def score(self, query, items):
            calls.append(("score", threading.get_ident()))
            return super().score(query, items)

    ranking = RankingService(Recording(), 2.0, ScoreCache(), DepthController(),
                             worker_setup=lambda: calls.append(("setup", threading.get_ident())))
    ranking.rank(RankRequest(kind=JOB, text="cook", candidates=_candidates(3), k=3))
    assert [name for name, _ in calls] == ["setup", "score"]
    assert calls[0][1] == calls[1][1] != threading.get_ident()


def test_relaxed_candidates_stay_behind_strict_ones() -> None:
    cands = [*_candidates(2, tier=0)[:1], *[c.model_copy(update={"id": "t1", "tier": 1}) for c in _candidates(2)[1:]]]
    ranked = _ranking(OverlapRanker(), DepthController()).rank(
        RankRequest(kind=JOB, text="python developer", candidates=cands, k=2))
    assert [c.id for c in ranked.items] == ["c0", "t1"]  # t1 scores higher but was found after relaxing
    assert ranked.scores[1] > ranked.scores[0]


def test_late_scores_still_fill_the_cache() -> None:
    ranker = OverlapRanker(delay_s=0.3)
    ranking = _ranking(ranker, DepthController(), deadline_s=0.05)
    req = RankRequest(kind=JOB, text="python developer", candidates=_candidates(3), k=3)
    degraded = ranking.rank(req)
    assert degraded.degraded and "deadline" in (degraded.reason or "")
    assert [c.id for c in degraded.items] == ["c0", "c1", "c2"]
    time.sleep(0.6)
    again = ranking.rank(req)
    assert not again.degraded and (again.reused, again.scored) == (3, 0)
    assert ranker.calls == 1


def test_a_ranker_returning_the_wrong_count_degrades() -> None:
    class Short(OverlapRanker):
        def score(self, query, items):
            return super().score(query, items)[:-1]

    ranked = _ranking(Short(), DepthController()).rank(
        RankRequest(kind=JOB, text="python", candidates=_candidates(3), k=3))
    assert ranked.degraded and ranked.reason == "ranker returned 2 scores for 3 items"
