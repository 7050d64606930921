"""Retrieval reads ids for the top K and fetches only what ranking and display read for the top N."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from semstream.actors.documents import to_document
from semstream.deployments.items import result_item
from semstream.deployments.retrieval import CANDIDATE_FIELDS, RetrievalService
from semstream.deployments.stages import Candidate, RetrieveRequest
from semstream.models.embedder import HashEmbedder
from semstream.models.item_text import item_text
from semstream.models.summary import SUMMARY_KEY
from semstream.schemas import Document, EntityKind, JobEvent, ProfileEvent
from semstream.store.compact import CompactHits
from semstream.store.edge import EdgeStore
from semstream.store.memory import MemoryStore
from semstream.store.protocol import VectorStore

JOB, PROFILE = EntityKind.JOB, EntityKind.PROFILE
LONG = ("We are looking for an engineer to build and run our data platform. You will own ingestion services. "
        "Benefits include dental insurance and a stipend. ") * 30


def _jobs() -> list[JobEvent]:
    return [JobEvent(op="upsert", id=f"j{i}", version=i + 1, title=f"Senior Python engineer {i}", company="Acme",
                     location="Berlin, Germany", remote="hybrid", seniority="senior", employment_type="full-time",
                     skills=["python", "kafka"], salary="€90k", description=LONG, source="test",
                     internal_note="not for display")  # type: ignore[call-arg]  # unknown fields are kept
            for i in range(12)]


def _profiles() -> list[ProfileEvent]:
    return [ProfileEvent(op="upsert", id=f"p{i}", version=1, name=f"Member {i}", headline="Data engineer",
                         current_title="Data engineer", current_company="Initech", location="Paris, France",
                         seniority="mid", years_experience=6, skills=["spark", "sql"], summary=LONG,
                         open_to_work=True, source="synthetic")
            for i in range(6)]


def _as_documents(kind: EntityKind, events: Sequence[JobEvent | ProfileEvent]) -> list[Document]:
    """Documents as ingest writes them (derived filter keys, summary, event time)."""
    vectors = HashEmbedder().embed([item_text(kind, e.fields()) for e in events])
    return [to_document(kind, e, [float(x) for x in v], 1.7e9) for e, v in zip(events, vectors)]


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return _as_documents(JOB, _jobs()) + _as_documents(PROFILE, _profiles())


@pytest.fixture(scope="module", params=["memory", "edge"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          docs: list[Document]) -> Iterator[VectorStore]:
    """Read-only for the tests that use it."""
    s: VectorStore = MemoryStore() if request.param == "memory" else EdgeStore(tmp_path_factory.mktemp("edge"))
    for kind in (JOB, PROFILE):
        s.ensure_collection(kind, HashEmbedder().dim)
    s.apply(docs)
    yield s
    s.close()


def _request(kind: EntityKind, ship: int, k: int = 50) -> RetrieveRequest:
    return RetrieveRequest(kind=kind, text="python data engineer", k=k, ship=ship)


def _full(store: VectorStore, kind: EntityKind, c: Candidate) -> Candidate:
    (hit,) = store.get(kind, [c.id])
    return c.model_copy(update={"payload": hit.payload})


@pytest.mark.parametrize("kind", [JOB, PROFILE])
def test_candidates_carry_everything_ranking_and_display_read(store: VectorStore, kind: EntityKind) -> None:
    r = RetrievalService(store, HashEmbedder(), CANDIDATE_FIELDS, text_chars=1000).retrieve(_request(kind, ship=4))
    assert len(r.candidates) == 4 and r.total == (12 if kind is JOB else 6)
    for c in r.candidates:
        full = _full(store, kind, c)
        assert set(c.payload) <= set(CANDIDATE_FIELDS) and SUMMARY_KEY in c.payload
        body = "description" if kind is JOB else "summary"
        assert c.payload[body] == full.payload[body][:1000] and len(full.payload[body]) > 1000
        assert item_text(kind, c.payload, 1000) == item_text(kind, full.payload, 1000)  # a cut prompt
        assert c.payload[SUMMARY_KEY] == full.payload[SUMMARY_KEY]  # the summarised ranker's input
        assert result_item(c, 1, 0.5) == result_item(full, 1, 0.5)
        assert not {"internal_note", "company_key", "_id", "_event_time"} & set(c.payload)
        assert {"company_key", "_id", "_event_time"} <= set(full.payload)


def test_by_default_candidates_carry_whole_payloads(store: VectorStore) -> None:
    r = RetrievalService(store, HashEmbedder()).retrieve(_request(JOB, ship=3))
    assert all(c.payload == _full(store, JOB, c).payload for c in r.candidates)
    assert all("internal_note" in c.payload for c in r.candidates)


def test_candidates_keep_search_order_scores_versions_and_vectors(store: VectorStore) -> None:
    embedder = HashEmbedder()
    req = _request(JOB, ship=5)
    r = RetrievalService(store, embedder).retrieve(req)
    query = [float(x) for x in embedder.embed([req.text])[0]]
    hits = store.search(JOB, query, 50, with_vectors=True)
    assert [c.id for c in r.candidates] == [h.id for h in hits[:5]]
    np.testing.assert_allclose([c.retrieval_score for c in r.candidates], [h.score for h in hits[:5]], atol=1e-6)
    assert [c.version for c in r.candidates] == [h.version for h in hits[:5]]
    for c, h in zip(r.candidates, hits):
        np.testing.assert_allclose(c.vector_list(), h.vector, atol=1e-6)


class _DeletesBeforeFetch(MemoryStore):
    """Another writer deletes an entity between the search and the fetch."""

    def get_compact(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None = None,
                    with_vectors: bool = True) -> CompactHits:
        self.apply([to_document(kind, JobEvent(op="delete", id=ids[1], version=99), None, None)])
        return super().get_compact(kind, ids, payload_fields, with_vectors)


def test_a_candidate_deleted_before_the_fetch_is_dropped(docs: list[Document]) -> None:
    store, embedder = _DeletesBeforeFetch(), HashEmbedder()
    store.apply(docs)
    req = _request(JOB, ship=4)
    order = [h.id for h in store.search(JOB, [float(x) for x in embedder.embed([req.text])[0]], 4)]
    r = RetrievalService(store, embedder).retrieve(req)
    assert [c.id for c in r.candidates] == [order[0], *order[2:]] and r.total == 12


def _reposted(copies: int, others: int) -> list[Document]:
    """One posting re-posted under ``copies`` ids, and ``others`` distinct postings."""
    events = []
    for i in range(copies):
        events.append(JobEvent(op="upsert", id=f"dup{i}", version=1, title="Python data engineer", company="Acme",
                               location="Berlin, Germany", description=LONG, source="hn"))
    for i in range(others):
        events.append(JobEvent(op="upsert", id=f"other{i}", version=1, title=f"Python data engineer {i}",
                               company="Acme", location="Berlin, Germany", description=LONG, source="hn"))
    return _as_documents(JOB, events)


@pytest.mark.parametrize("store_kind", ["memory", "edge"])
def test_re_posted_duplicates_ship_once_and_later_hits_fill_their_places(store_kind: str, tmp_path) -> None:
    s: VectorStore = MemoryStore() if store_kind == "memory" else EdgeStore(tmp_path)
    s.ensure_collection(JOB, HashEmbedder().dim)
    s.apply(_reposted(copies=3, others=4))
    embedder, req = HashEmbedder(), RetrieveRequest(kind=JOB, text="python data engineer", k=50, ship=4)
    plain = RetrievalService(s, embedder, CANDIDATE_FIELDS, text_chars=600).retrieve(req)
    assert sum(c.id.startswith("dup") for c in plain.candidates) >= 2 and plain.collapsed == 0
    r = RetrievalService(s, embedder, CANDIDATE_FIELDS, text_chars=600, collapse=True).retrieve(req)
    ids = [c.id for c in r.candidates]
    assert len(ids) == 4 and sum(i.startswith("dup") for i in ids) == 1
    assert r.collapsed == 2 and r.total == 7
    order = [h.id for h in s.search(JOB, [float(x) for x in embedder.embed([req.text])[0]], 50)]
    first_dup = next(i for i in order if i.startswith("dup"))
    assert ids == [i for i in order if not i.startswith("dup") or i == first_dup][:4]  # search order kept
    s.close()


def test_collapsing_with_fewer_distinct_hits_than_ship_returns_them_all() -> None:
    s = MemoryStore()
    s.ensure_collection(JOB, HashEmbedder().dim)
    s.apply(_reposted(copies=5, others=1))
    req = RetrieveRequest(kind=JOB, text="python data engineer", k=50, ship=4)
    r = RetrievalService(s, HashEmbedder(), CANDIDATE_FIELDS, collapse=True).retrieve(req)
    assert sorted(c.id[:3] for c in r.candidates) == ["dup", "oth"] and r.collapsed == 4
