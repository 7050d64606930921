"""The policy judge grades by the written rubric: role, seniority, place, remote, skills, recency, company."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.intent import parse_text
from semstream.models.judge.policy import PolicyJudge
from semstream.models.judge.schema import P_YES, JudgeQuery
from semstream.schemas import EntityKind

JOB = EntityKind.JOB
ESCO_ROWS = [
    {"preferredLabel": "software developer", "altLabels": "programmer\napplication developer\nsoftware engineer",
     "iscoGroup": "2512"},
    {"preferredLabel": "data scientist", "altLabels": "research data scientist", "iscoGroup": "2511"},
    {"preferredLabel": "mobile app developer", "altLabels": "ios developer\nandroid developer", "iscoGroup": "2514"},
    {"preferredLabel": "nurse responsible for general care", "altLabels": "registered nurse", "iscoGroup": "2221"},
]

BACKEND_BERLIN = {
    "title": "Senior Backend Engineer", "company": "Acme", "location": "Berlin, Germany", "remote": "hybrid",
    "seniority": "senior", "skills": ["Python", "PostgreSQL"], "posted_at": "2026-04-20T10:00:00+00:00",
    "description": "We build payment APIs in Python.",
}


@pytest.fixture
def judge() -> PolicyJudge:
    return PolicyJudge(EscoIndex.from_rows(ESCO_ROWS), now=datetime(2026, 5, 1, tzinfo=timezone.utc))


def grade(judge: PolicyJudge, payload: dict, **intent) -> int:
    text = intent.pop("text", "q")
    return judge.grade(JudgeQuery(text=text, **intent), JOB, payload).grade


def test_exact_role_with_all_constraints_met_is_perfect(judge: PolicyJudge) -> None:
    g = judge.grade(JudgeQuery(text="senior python backend engineer in Berlin", role="backend engineer",
                               seniority="senior", location="Berlin", skills=["Python"]), JOB, BACKEND_BERLIN)
    assert g.grade == 4
    assert g.p_yes == P_YES[4]
    assert "role match" in g.rationale


def test_unrelated_role_without_shared_skill_is_irrelevant(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="registered nurse") == 0


def test_wrong_city_breaks_a_hard_constraint(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", location="London") == 2


def test_country_query_accepts_a_city_in_that_country(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", location="Germany") == 4


def test_seniority_one_step_off_is_soft_two_steps_hard(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", seniority="mid") == 3
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", seniority="junior") == 2


def test_remote_asked_hybrid_given_is_soft_onsite_is_hard(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", remote="remote") == 3
    onsite = {**BACKEND_BERLIN, "remote": "onsite"}
    assert grade(judge, onsite, role="backend engineer", remote="remote") == 2


def test_missing_must_have_skills_cost_by_share(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", skills=["Python", "Kafka"]) == 3
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", skills=["Rust"]) == 2


def test_skills_named_only_in_the_description_count(judge: PolicyJudge) -> None:
    payload = {**BACKEND_BERLIN, "skills": [], "description": "Our stack: Kafka and Python."}
    assert grade(judge, payload, role="backend engineer", skills=["Kafka"]) == 4


def test_esco_synonym_is_the_same_role(judge: PolicyJudge) -> None:
    payload = {**BACKEND_BERLIN, "title": "Nurse Responsible for General Care"}
    assert grade(judge, payload, role="registered nurse") == 4
    assert grade(PolicyJudge(None), payload, role="registered nurse") == 2  # same head noun only
    assert grade(judge, {**BACKEND_BERLIN, "title": "Programmer"}, role="software developer") == 4


def test_same_isco_family_is_fair_not_perfect(judge: PolicyJudge) -> None:
    payload = {**BACKEND_BERLIN, "title": "iOS Developer"}
    assert grade(judge, payload, role="android developer") == 4  # same ESCO occupation
    assert grade(judge, {**BACKEND_BERLIN, "title": "Mobile Engineer"}, role="backend engineer") == 2


def test_wrong_company_caps_at_one(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", company="Globex") == 1
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", company="acme") == 4


def test_recency_uses_the_reference_time(judge: PolicyJudge) -> None:
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", recency_days=30) == 4
    assert grade(judge, BACKEND_BERLIN, role="backend engineer", recency_days=3) == 2
    no_clock = PolicyJudge(judge.esco, now=None)
    assert grade(no_clock, BACKEND_BERLIN, role="backend engineer", recency_days=3) == 4


def test_hn_llm_facets_fill_missing_fields(judge: PolicyJudge) -> None:
    hn = {"description": "Acme | Berlin | Full-time", "llm_facets": {
        "role": "Senior Software Engineer", "experience_level": "Senior", "remote": "fully_remote",
        "technologies": ["Go", "Kubernetes"]}}
    assert grade(judge, hn, role="software engineer", remote="remote", skills=["Go"]) == 4
    assert grade(judge, hn, role="software engineer", remote="onsite") == 3
    assert grade(judge, {"description": "Acme | Berlin"}, role="software engineer") == 0


def test_free_text_queries_are_parsed(judge: PolicyJudge) -> None:
    intent = parse_text("remote senior python backend engineer")
    assert (intent.role, intent.seniority, intent.remote, intent.skills) == (
        ["backend", "developer"], "senior", "remote", ["Python"])
    intent = parse_text("react developers in London with 5+ years")
    assert (intent.location, intent.seniority, intent.skills) == ("london", "senior", ["React"])
    assert parse_text("java developer at Google posted in the last 7 days").company == "Google"
    assert parse_text("java developer at Google posted in the last 7 days").recency_days == 7
    assert parse_text("bangalore java developer").location == "bengaluru"
    assert grade(judge, BACKEND_BERLIN, text="senior python backend developer in Berlin") == 4
    assert grade(judge, BACKEND_BERLIN, text="junior react developer in London") <= 1


def test_people_search_uses_profile_fields(judge: PolicyJudge) -> None:
    person = {"current_title": "Data Scientist", "current_company": "Initech", "location": "London",
              "years_experience": 6, "skills": ["Python", "PyTorch"], "summary": "Forecasting."}
    q = JudgeQuery(text="q", role="data scientist", location="London", seniority="senior", skills=["PyTorch"])
    assert judge.grade(q, EntityKind.PROFILE, person).grade == 4
    q_junior = JudgeQuery(text="q", role="data scientist", seniority="junior")
    assert judge.grade(q_junior, EntityKind.PROFILE, person).grade == 2
    q_remote = JudgeQuery(text="q", role="data scientist", remote="remote")  # remote is ignored for people
    assert judge.grade(q_remote, EntityKind.PROFILE, person).grade == 4


def test_grades_are_deterministic_and_cover_the_scale(judge: PolicyJudge) -> None:
    intents = [dict(role="backend engineer", location="Berlin"), dict(role="backend engineer", seniority="mid"),
               dict(role="backend engineer", location="Paris"), dict(role="registered nurse", skills=["Python"]),
               dict(role="registered nurse")]
    first = [judge.grade(JudgeQuery(text="q", **i), JOB, BACKEND_BERLIN) for i in intents]
    again = [PolicyJudge(judge.esco, judge.now).grade(JudgeQuery(text="q", **i), JOB, BACKEND_BERLIN) for i in intents]
    assert first == again
    assert sorted(g.grade for g in first) == [0, 1, 2, 3, 4]
