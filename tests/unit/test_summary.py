from semstream.models.summary import summarise
from semstream.schemas import EntityKind

POSTING = {
    "title": "Senior Backend Engineer", "company": "Acme", "location": "Berlin", "remote": "hybrid",
    "skills": ["Python", "Kafka", "PostgreSQL"],
    "description": (
        "Acme builds logistics software used by 2,000 warehouses. "
        "You will design and build event-driven services in Python and Kafka. "
        "We are looking for 5+ years of backend experience with PostgreSQL. "
        "Benefits include 30 days PTO, dental and vision insurance, and a 401k match. "
        "Apply at https://acme.example/jobs or mail jobs@acme.example. "
        "Acme is an equal opportunity employer and values diversity of every kind. "
    ) * 3,
}


def test_summary_keeps_head_skills_and_role_sentences():
    text = summarise(EntityKind.JOB, POSTING)
    assert text.startswith("Senior Backend Engineer | Acme | Berlin | hybrid")
    assert "Skills: Python, Kafka, PostgreSQL" in text
    assert "event-driven services" in text


def test_summary_drops_benefits_links_and_boilerplate():
    text = summarise(EntityKind.JOB, POSTING)
    assert "401k" not in text and "https://" not in text and "equal opportunity" not in text


def test_summary_is_about_a_third_of_the_text_or_less():
    full = " ".join(str(v) for v in POSTING.values())
    assert len(summarise(EntityKind.JOB, POSTING).split()) <= len(full.split()) / 3
    assert len(summarise(EntityKind.JOB, POSTING, budget_words=60).split()) <= 60 + 5


def test_profile_summary_uses_the_profile_head():
    text = summarise(EntityKind.PROFILE, {"headline": "Data scientist", "skills": ["sql"],
                                          "summary": "I build forecasting models for retail teams. I like hiking."})
    assert text.splitlines()[0] == "Data scientist"
    assert "forecasting models" in text


def test_summary_of_an_empty_payload_is_empty():
    assert summarise(EntityKind.JOB, {}) == ""
