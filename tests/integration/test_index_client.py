"""Reads through the real index-owner actor: compact columns, payload selection, the Retrieval stage."""

from __future__ import annotations

import numpy as np
import pytest

from semstream.deployments.retrieval import CANDIDATE_FIELDS, RetrievalService
from semstream.deployments.stages import RetrieveRequest
from semstream.models.embedder import HashEmbedder
from semstream.schemas import Document, EntityKind
from semstream.store.filters import Filter, Match
from semstream.store.memory import MemoryStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]
JOB = EntityKind.JOB


def _docs(embedder: HashEmbedder) -> list[Document]:
    """Random vectors: no two documents tie on score, so every store orders them alike."""
    texts = [f"{'python' if i % 2 else 'java'} engineer {i} berlin" for i in range(40)]
    vectors = np.random.default_rng(3).standard_normal((40, embedder.dim))
    return [Document(kind=JOB, id=f"j{i}", version=i + 1, vector=vectors[i].tolist(),
                     payload={"title": texts[i], "description": "long text " * 200, "country": "DE" if i % 3 else "FR",
                              "company_key": f"c{i}"})
            for i in range(40)] + [Document(kind=JOB, id="j5", version=99, deleted=True)]


def test_reads_through_the_owner_match_the_reference(index_owner) -> None:
    from semstream.actors.index_client import ActorStoreClient

    embedder = HashEmbedder(32)
    client, reference = ActorStoreClient(index_owner), MemoryStore()
    for store in (client, reference):
        store.ensure_collection(JOB, embedder.dim)
        store.apply(_docs(embedder))
    query = [float(x) for x in embedder.embed(["python engineer"])[0]]
    flt = Filter(must=[Match(field="country", value="DE")])

    ids = client.search_compact(JOB, query, 20, flt, payload_fields=())
    expected = reference.search(JOB, query, 20, flt)
    assert ids.ids == [h.id for h in expected] and "j5" not in ids.ids
    assert ids.versions.tolist() == [h.version for h in expected] and ids.payloads == [{}] * len(expected)
    np.testing.assert_allclose(ids.scores, [h.score for h in expected], atol=1e-5)

    got = client.get_compact(JOB, ids.ids[:5], payload_fields=("title",))
    assert got.payloads == [{"title": h.payload["title"]} for h in expected[:5]]
    assert got.vectors is not None and got.vectors.shape == (5, embedder.dim)
    listed = client.search(JOB, query, 3, flt, with_vectors=True, payload_fields=("title", "country"))
    assert [(h.id, h.payload) for h in listed] == [(h.id, {"title": h.payload["title"], "country": "DE"})
                                                   for h in expected[:3]]


def test_retrieval_over_the_owner_ships_the_same_candidates(index_owner) -> None:
    from semstream.actors.index_client import ActorStoreClient

    embedder = HashEmbedder(32)
    client, reference = ActorStoreClient(index_owner), MemoryStore()
    for store in (client, reference):
        store.ensure_collection(JOB, embedder.dim)
        store.apply(_docs(embedder))
    req = RetrieveRequest(kind=JOB, text="python engineer", k=30, ship=8)
    remote = RetrievalService(client, embedder, CANDIDATE_FIELDS, text_chars=600).retrieve(req)
    local = RetrievalService(reference, embedder, CANDIDATE_FIELDS, text_chars=600).retrieve(req)
    assert remote.total == local.total == 30
    assert [(c.id, c.version, c.payload) for c in remote.candidates] == [(c.id, c.version, c.payload)
                                                                         for c in local.candidates]
    assert all(len(c.payload["description"]) == 600 and "company_key" not in c.payload for c in remote.candidates)
    for a, b in zip(remote.candidates, local.candidates):
        np.testing.assert_allclose(a.vector_list(), b.vector_list(), atol=1e-6)
