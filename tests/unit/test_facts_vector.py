"""The facts vector: computed at ingest over head and skills, kept in the payload, read by MixLM."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from semstream.actors.documents import to_document
from semstream.actors.worker import IngestWorker, WorkerOptions
from semstream.deployments.ranking import rank_item
from semstream.deployments.stages import Candidate, float32_bytes
from semstream.models.embedder import HashEmbedder, bundled_minilm_path
from semstream.models.facts import FACTS_VECTOR_KEY, as_stored, decode_vector, encode_vector, facts_vector_of
from semstream.models.item_text import item_facts
from semstream.models.ranker.backbone import YesNoScorer, answer_token_ids, load_causal_lm, load_tokenizer
from semstream.models.ranker.mixlm import MixLmRanker, VectorAdapter
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker
from semstream.schemas import EntityKind, JobEvent, Op
from semstream.store.memory import MemoryStore
from semstream.topics.errors import ErrorPolicy
from semstream.topics.memory import MemoryBroker
from semstream.topics.registry import DEADLETTER, JOBS, Topic

POSTING = {"title": "Senior Backend Engineer", "company": "Acme", "location": "Berlin", "seniority": "senior",
           "skills": ["Python", "Go"], "description": "We build payment systems. " * 20}


def _unit(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_item_facts_is_the_head_and_the_skills_without_the_long_text() -> None:
    facts = item_facts(EntityKind.JOB, POSTING)
    assert facts == "Senior Backend Engineer | Acme | Berlin | senior\nSkills: Python, Go"
    profile = {"headline": "Data scientist", "current_company": "Beta", "summary": "long story"}
    assert item_facts(EntityKind.PROFILE, profile) == "Data scientist | Beta"


def test_a_facts_vector_round_trips_through_its_payload_string_at_float16_precision() -> None:
    vector = _unit(1, 0)[0]
    encoded = encode_vector(vector)
    assert isinstance(encoded, str) and len(encoded) == 1024  # 384 x 2 bytes, base64
    decoded = np.array(decode_vector(encoded))
    assert np.abs(decoded - vector).max() < 1e-3 and np.array_equal(decoded, as_stored(vector))
    assert decode_vector(None) is None and facts_vector_of({}) is None


@pytest.mark.parametrize("bad, says", [([0.1, 0.2], "base64 string"), ("not base64!", "not valid base64"),
                                       ("AA==", "not a float16 vector")])
def test_a_malformed_facts_vector_is_an_error_that_names_the_key(bad: object, says: str) -> None:
    with pytest.raises(ValueError, match=f"{FACTS_VECTOR_KEY}.*{says}"):
        decode_vector(bad)


def test_to_document_keeps_the_facts_vector_in_the_payload_and_deletes_carry_none() -> None:
    event = JobEvent(op=Op.UPSERT, id="j1", version=1, **{k: v for k, v in POSTING.items()})
    vector = _unit(1, 1)[0]
    doc = to_document(EntityKind.JOB, event, [0.1, 0.2], None, facts_vector=vector)
    assert np.array_equal(facts_vector_of(doc.payload), as_stored(vector))
    assert FACTS_VECTOR_KEY not in to_document(EntityKind.JOB, event, [0.1, 0.2], None).payload
    tombstone = to_document(EntityKind.JOB, JobEvent(op=Op.DELETE, id="j1", version=2), None, None)
    assert FACTS_VECTOR_KEY not in tombstone.payload


def test_the_ingest_worker_stores_the_embedding_of_each_upserts_facts() -> None:
    broker, store, embedder = MemoryBroker(), MemoryStore(), HashEmbedder()
    broker.ensure_topics([Topic(JOBS, 1, EntityKind.JOB), Topic(DEADLETTER, 1)])
    sink = broker.sink()
    for i, title in enumerate(["Backend engineer", "Staff nurse"]):
        sink.send(JOBS, f"j{i}".encode(), json.dumps({"op": "upsert", "id": f"j{i}", "version": 1, "title": title,
                                                      "skills": ["python"], "description": "long " * 50}).encode())
    sink.flush(1)
    worker = IngestWorker(broker.source("g", [JOBS]), store, embedder, ErrorPolicy("dead_letter", broker.sink()),
                          {JOBS: EntityKind.JOB}, WorkerOptions(max_records=8, poll_ms=1))
    assert worker.step() == 2
    for hit in store.get(EntityKind.JOB, ["j0", "j1"]):
        expected = embedder.embed([item_facts(EntityKind.JOB, hit.payload)])[0]
        assert np.array_equal(facts_vector_of(hit.payload), as_stored(expected))
        assert not np.allclose(facts_vector_of(hit.payload), hit.vector, atol=1e-3)  # not the item-text vector


def test_the_ranking_stage_hands_the_ranker_the_decoded_facts_vector() -> None:
    vector, facts = _unit(2, 2)
    candidate = Candidate(id="j1", version=1, retrieval_score=0.5, tier=0, vector=float32_bytes(vector.tolist()),
                          payload={"title": "x", FACTS_VECTOR_KEY: encode_vector(facts)})
    item = rank_item(candidate)
    assert np.allclose(item.vector, vector) and np.array_equal(item.facts_vector, as_stored(facts))
    assert rank_item(candidate.model_copy(update={"payload": {"title": "x"}})).facts_vector is None


def _tiny() -> SlmRanker:
    path = bundled_minilm_path()
    tokenizer = load_tokenizer(path)
    scorer = YesNoScorer(load_causal_lm(path), *answer_token_ids(tokenizer))
    scorer.keep_first_layers(1)
    return SlmRanker(scorer, tokenizer, max_tokens=96, batch_size=4)


@pytest.fixture(scope="module")
def facts_mix() -> MixLmRanker:
    ranker = MixLmRanker.fresh(_tiny(), seed=5, facts=True)
    torch.nn.init.normal_(ranker.adapter.proj.weight, std=0.3)
    ranker.batch_size = 3
    return ranker


def _items(n: int, seed: int) -> list[RankItem]:
    vectors, facts = _unit(n, seed), as_stored(_unit(n, seed + 100))
    return [RankItem(id=str(i), vector=v.tolist(), facts_vector=f.tolist()) for i, (v, f) in enumerate(zip(vectors, facts))]


def _query() -> RankQuery:
    return RankQuery(kind=EntityKind.JOB, text="senior python backend", vector=_unit(1, 77)[0].tolist())


def test_the_facts_adapter_reads_both_vectors_each_with_its_query_product() -> None:
    items, facts, query = (torch.tensor(_unit(3, s)) for s in (1, 2, 3))
    features = VectorAdapter(384, 8, query_product=True, facts=True).features(items, query[0], facts)
    assert features.shape == (3, 4 * 384)
    assert torch.equal(features[:, :384], items) and torch.equal(features[:, 768:1152], facts)
    assert torch.allclose(features[:, 1152:].sum(dim=1) / 384**0.5, facts @ query[0], atol=1e-6)


def test_a_facts_mixlm_scores_by_the_facts_vector_and_its_fast_path_equals_the_reference(facts_mix: MixLmRanker) -> None:
    items = _items(7, 3)
    batched = facts_mix.raw_scores(_query(), items)[:, 0]
    reference = 1.0 / (1.0 + np.exp(-facts_mix.reference_log_odds(_query(), items)[:, 0]))
    assert np.abs(batched - reference).max() < 1e-4
    other_facts = [it.model_copy(update={"facts_vector": f.tolist()}) for it, f in zip(items, _unit(7, 9))]
    assert not np.allclose(facts_mix.raw_scores(_query(), other_facts)[:, 0], batched, atol=1e-5)


def test_a_facts_mixlm_names_the_items_without_a_facts_vector(facts_mix: MixLmRanker) -> None:
    items = _items(3, 4)
    items[1] = items[1].model_copy(update={"facts_vector": None})
    with pytest.raises(ValueError, match=r"facts vectors.*\['1'\]"):
        facts_mix.score(_query(), items)


def test_a_facts_adapter_round_trips_and_an_old_adapter_loads_without_facts(facts_mix: MixLmRanker, tmp_path: Path) -> None:
    facts_mix.save(tmp_path / "facts")
    loaded = MixLmRanker.load(tmp_path / "facts", facts_mix.base)
    assert loaded.adapter.facts
    assert np.allclose(loaded.score(_query(), _items(4, 6)), facts_mix.score(_query(), _items(4, 6)), atol=1e-6)
    plain = MixLmRanker.fresh(facts_mix.base, seed=1)
    plain.save(tmp_path / "plain")
    saved = torch.load(tmp_path / "plain" / "mixlm.pt", weights_only=True)
    del saved["meta"]["facts"]  # written before facts vectors existed
    torch.save(saved, tmp_path / "plain" / "mixlm.pt")
    assert not MixLmRanker.load(tmp_path / "plain", facts_mix.base).adapter.facts
