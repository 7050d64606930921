"""Ingest documents carry filter keys normalised exactly as query understanding normalises facets."""

from semstream.actors.documents import to_document
from semstream.models.qu.service import QueryUnderstanding
from semstream.schemas import EntityKind, JobEvent, Op, ProfileEvent
from semstream.store.filters import filter_holds
from semstream.store.protocol import ENTITY_ID_KEY


def test_job_keys_agree_with_query_filters():
    event = JobEvent(op=Op.UPSERT, id="j1", version=3, title="Senior Backend Engineer", company="Acme GmbH",
                     location="Berlin, Germany", remote="remote", skills=["Python", "K8s"])
    doc = to_document(EntityKind.JOB, event, [0.1, 0.2], event_time=10.0)
    assert doc.payload["company_key"] == "acme"
    assert doc.payload["city"] == "berlin" and doc.payload["country"] == "DE"
    assert "kubernetes" in doc.payload["skills_key"]
    assert doc.payload[ENTITY_ID_KEY] == "j1" and doc.version == 3
    assert doc.payload["summary_text"].startswith("Senior Backend Engineer | Acme GmbH")
    _, flt, _ = QueryUnderstanding.load(tagger=False).understand("remote python jobs in Berlin", EntityKind.JOB)
    assert not flt.is_empty()
    assert filter_holds(flt, doc.payload)


def test_query_filter_rejects_a_posting_elsewhere():
    event = JobEvent(op=Op.UPSERT, id="j2", version=1, title="Backend Engineer", location="London, UK",
                     remote="onsite", skills=["python"])
    doc = to_document(EntityKind.JOB, event, [0.1], event_time=None)
    _, flt, _ = QueryUnderstanding.load(tagger=False).understand("python jobs in Berlin", EntityKind.JOB)
    assert not filter_holds(flt, doc.payload)


def test_delete_is_a_tombstone_without_fields():
    doc = to_document(EntityKind.PROFILE, ProfileEvent(op=Op.DELETE, id="m1", version=9), None, event_time=1.0)
    assert doc.deleted and doc.vector is None and doc.version == 9
    assert doc.payload == {ENTITY_ID_KEY: "m1"}


def test_profile_keys():
    event = ProfileEvent(op=Op.UPSERT, id="m2", version=1, current_title="Data Scientist",
                         current_company="Globex Inc", location="New York", skills=["SQL"])
    payload = to_document(EntityKind.PROFILE, event, [1.0], None).payload
    assert payload["company_key"] == "globex" and payload["city"] == "new york" and payload["country"] == "US"
    assert payload["skills_key"] == ["sql"]
