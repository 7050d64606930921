"""Template queries over a corpus, the real seek queries, and the postings readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from semstream.models.data.corpus import hn_payload, indeed_payload, load_job_corpus
from semstream.models.data.queries import clean_role, for_training, generate_queries, held_out, seek_queries
from semstream.models.exceptions import ModelError
from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.intent import parse_text
from semstream.schemas import EntityKind

JOBS = [
    {"title": t, "company": c, "location": loc, "skills": s}
    for t, c, loc, s in [
        ("Senior Backend Engineer", "Acme", "Berlin, Germany", ["Python", "PostgreSQL"]),
        ("Backend Engineer", "Globex", "Berlin, Germany", ["Go"]),
        ("Data Scientist", "Initech", "London, UK", ["Python", "PyTorch"]),
        ("Sr. Data Scientist", "Acme", "London, UK", ["SQL"]),
        ("React Developer", "Hooli", "London, UK", ["React", "TypeScript"]),
        ("Frontend Developer (React)", "Hooli", "Paris", ["React"]),
        ("HR Executive", "Umbrella", "Pune, Maharashtra", ["Recruitment"]),
        ("HR Executive - Payroll", "Umbrella", "Pune, Maharashtra", ["Payroll"]),
    ]
] * 2
PEOPLE = [
    {"current_title": t, "current_company": c, "location": loc, "skills": s, "years_experience": y}
    for t, c, loc, s, y in [
        ("Data Scientist", "Initech", "London", ["Python", "PyTorch", "SQL"], 6),
        ("Data Scientist", "Acme", "Berlin", ["R", "SQL"], 2),
        ("React Developer", "Hooli", "London", ["React", "TypeScript", "CSS"], 4),
        ("React Developer", "Hooli", "Paris", ["React", "Redux"], 9),
    ]
]


def test_held_out_reserves_a_fixed_quarter_of_query_texts() -> None:
    texts = [f"role {i} jobs in city {i % 7}" for i in range(4000)]
    share = sum(map(held_out, texts)) / len(texts)
    assert 0.22 < share < 0.28
    assert held_out("Data Scientist  jobs") == held_out("data scientist jobs")  # case and spacing do not matter
    assert all(for_training(t) != held_out(t) for t in texts[:50])


def test_keep_draws_only_the_texts_it_accepts() -> None:
    evaluation = generate_queries(EntityKind.JOB, JOBS, 8, seed=11, keep=held_out)
    training = generate_queries(EntityKind.JOB, JOBS, 8, seed=11, keep=for_training)
    assert evaluation and training
    assert all(held_out(q.text) for q in evaluation) and not any(held_out(q.text) for q in training)


def test_clean_role_reads_titles_like_a_searcher() -> None:
    assert clean_role("Sr. Data Scientist") == "data scientist"
    assert clean_role("Frontend Developer (React)") == "frontend developer"
    assert clean_role("Software Engineers") == "software engineer"
    assert clean_role("Engineer") is None
    assert clean_role("Berlin office") is None


def test_generated_queries_are_deterministic_distinct_and_grounded() -> None:
    first = generate_queries(EntityKind.JOB, JOBS, 25, seed=11)
    assert first == generate_queries(EntityKind.JOB, JOBS, 25, seed=11)
    assert first != generate_queries(EntityKind.JOB, JOBS, 25, seed=12)
    assert len({q.text for q in first}) == len(first) >= 15
    roles = {"backend engineer", "data scientist", "react developer", "frontend developer", "hr executive"}
    for q in first:
        assert q.role is None or q.role in roles
        assert q.location is None or q.location in {"Berlin", "London", "Paris", "Pune"}
        assert all(s in {"Python", "PostgreSQL", "Go", "PyTorch", "SQL", "React", "TypeScript", "Recruitment",
                         "Payroll"} for s in q.skills)
        if q.role:
            assert q.role.split()[-1] in q.text


def test_query_text_and_structured_intent_agree() -> None:
    for q in generate_queries(EntityKind.JOB, JOBS, 30, seed=3):
        parsed = parse_text(q.text)
        if q.location:
            assert parsed.location == q.location.lower()
        if q.remote:
            assert parsed.remote == q.remote
        if q.seniority in ("junior", "senior"):
            assert parsed.seniority == q.seniority


def test_people_queries_use_people_templates() -> None:
    queries = generate_queries(EntityKind.PROFILE, PEOPLE * 2, 10, seed=5)
    assert queries and all("jobs" not in q.text and "posted" not in q.text for q in queries)
    assert any(q.text.startswith(("data scientists", "react developers")) for q in queries)


def test_synonym_swap_uses_esco_labels() -> None:
    esco = EscoIndex.from_rows([{"preferredLabel": "data scientist", "altLabels": "data expert", "iscoGroup": "2511"}])
    queries = generate_queries(EntityKind.JOB, JOBS, 40, seed=2, esco=esco, synonym_rate=1.0)
    assert any(q.role == "data expert" and "data expert" in q.text for q in queries)


def test_corpus_without_titles_is_an_error() -> None:
    with pytest.raises(ModelError, match="no usable titles"):
        generate_queries(EntityKind.JOB, [{"title": ""}], 5, seed=0)


def test_hn_first_line_gives_company_title_and_place() -> None:
    row = {"id": 1, "posted_at": "2026-01-02T00:00:00+00:00",
           "text": "Acme (https://acme.dev) | Senior Backend Engineer | Berlin, Germany | Full-time\n\nWe use Go.",
           "llm_facets": {"role": "Backend Engineer", "experience_level": "Senior", "remote": "hybrid",
                          "technologies": ["Go"]}}
    p = hn_payload(row)
    assert (p["company"], p["title"], p["location"]) == ("Acme", "Senior Backend Engineer", "Berlin, Germany")
    assert (p["remote"], p["seniority"], p["skills"], p["employment_type"]) == ("hybrid", "senior", ["Go"], "full-time")
    assert p["llm_facets"]["role"] == "Backend Engineer" and p["source"] == "hn"


def test_indeed_row_maps_to_job_fields() -> None:
    row = {"id": "x", "title": "Python Developer", "company": "C", "location": "Remote", "salary": "",
           "posted_relative": "3 days ago", "scraped_at": "2023-02-19T12:00:00.000Z",
           "description": "Django and AWS.\nJob Types: Full-time, Regular"}
    p = indeed_payload(row)
    assert p["remote"] == "remote" and "location" not in p and p["country"] == "India"
    assert p["posted_at"].startswith("2023-02-16") and p["employment_type"] == "full-time"
    assert {"Python", "Django", "AWS"} <= set(p["skills"])


def test_real_corpus_and_seek_queries(shared_data: Path) -> None:
    corpus = load_job_corpus(shared_data, limit_per_source=300)
    assert len(corpus) == 600 and len({i for i, _ in corpus}) == 600
    queries = generate_queries(EntityKind.JOB, [p for _, p in corpus], 40, seed=1)
    assert len(queries) == 40
    seek = seek_queries(shared_data / "seek_job_search_backstories")
    assert len(seek) == 50 and seek[0].text == "advanced scaffolder"  # 51 distinct values, one is empty
