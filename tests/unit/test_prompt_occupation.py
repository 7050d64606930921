"""The ranker prompt's occupation line: ingest's standardised title after the item's head line."""

from __future__ import annotations

from semstream.models.ranker.prompt import PromptTemplate, item_occupation
from semstream.models.ranker.protocol import RankItem
from semstream.schemas import EntityKind

LINE = "Occupation: {occupation}"


def test_the_stored_occupation_follows_the_head_line_before_skills_and_text() -> None:
    item = RankItem(id="1", payload={"title": "Tire Maker", "company": "Acme", "skills": ["rubber"],
                                     "description": "Build tyres.", "occupation": "tyre builder"})
    body = PromptTemplate(occupation_line=LINE).item_body(EntityKind.JOB, item)
    assert body.splitlines() == ["Job: Tire Maker | Acme", "Occupation: tyre builder", "Skills: rubber", "Build tyres."]


def test_without_the_line_configured_the_prompt_is_unchanged() -> None:
    item = RankItem(id="1", payload={"title": "Tire Maker", "occupation": "tyre builder"})
    assert PromptTemplate().item_body(EntityKind.JOB, item) == "Job: Tire Maker"


def test_a_payload_without_occupation_is_standardised_like_ingest_does(settings) -> None:
    assert item_occupation(EntityKind.JOB, {"title": "software developer"}) == "software developer"
    body = PromptTemplate(occupation_line=LINE).item_body(EntityKind.JOB, RankItem(id="2", payload={"title": "tire maker"}))
    assert body == "Job: tire maker\nOccupation: tyre builder"
    profile = item_occupation(EntityKind.PROFILE, {"headline": "Senior Software Developer at X"})
    assert profile == "software developer"


def test_an_unrecognised_title_gets_no_line() -> None:
    item = RankItem(id="3", payload={"title": "zzqx"})
    assert PromptTemplate(occupation_line=LINE).item_body(EntityKind.JOB, item) == "Job: zzqx"
