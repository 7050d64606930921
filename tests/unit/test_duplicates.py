"""Which candidates count as re-posted duplicates."""

from __future__ import annotations

from semstream.deployments.duplicates import FirstOfEach, duplicate_key
from semstream.deployments.stages import Candidate

POSTING = {"title": "Backend Engineer", "company": "Estuary", "location": "United States",
           "description": "Estuary is hiring backend engineers.\n\nRemote."}


def _candidate(entity_id: str, payload: dict) -> Candidate:
    return Candidate(id=entity_id, version=1, retrieval_score=0.5, payload=payload)


def test_case_and_whitespace_do_not_tell_postings_apart() -> None:
    repost = {**POSTING, "title": "  backend   ENGINEER", "description": "Estuary is hiring backend engineers. Remote."}
    assert duplicate_key(repost) == duplicate_key(POSTING)


def test_any_display_field_tells_them_apart_and_other_fields_do_not() -> None:
    assert duplicate_key({**POSTING, "location": "Berlin"}) != duplicate_key(POSTING)
    assert duplicate_key({**POSTING, "description": "Another text."}) != duplicate_key(POSTING)
    assert duplicate_key({**POSTING, "salary": "$150k", "source": "indeed"}) == duplicate_key(POSTING)


def test_a_payload_without_display_fields_is_nobody_s_duplicate() -> None:
    assert duplicate_key({}) is None and duplicate_key({"title": "", "skills": []}) is None
    distinct = FirstOfEach()
    distinct.add([_candidate("a", {}), _candidate("b", {})])
    assert [c.id for c in distinct.kept] == ["a", "b"] and distinct.collapsed == 0


def test_the_first_of_each_group_is_kept_across_batches() -> None:
    distinct = FirstOfEach()
    distinct.add([_candidate("a", POSTING), _candidate("b", {**POSTING, "title": "Cook"})])
    distinct.add([_candidate("c", dict(POSTING)), _candidate("d", {**POSTING, "location": "Paris"})])
    assert [c.id for c in distinct.kept] == ["a", "b", "d"] and distinct.collapsed == 1
