"""Job loaders: HN and Indeed records map to sensible JobEvents; the demo sample; replicate; text facets."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from semstream.config import load_settings
from semstream.shared_data import HN_JOBS, INDEED_JOBS
from semstream.schemas import JobEvent, Op
from semstream.topics.exceptions import DataError
from semstream.topics.hn import parse_header
from semstream.topics.jobtext import detect_employment, detect_remote, detect_seniority, find_skills
from semstream.topics.loaders import (
    demo_job_events,
    hn_job_events,
    indeed_job_event,
    indeed_job_events,
    read_jsonl,
    replicate,
    sample_path,
)
from semstream.topics.places import find_place, place_names


@pytest.fixture(scope="module")
def hn_events() -> dict[str, JobEvent]:
    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / HN_JOBS
    if not path.is_file():
        pytest.skip(f"public data not found at {path}")
    return {e.id: e for e in hn_job_events(path)}


INDEED_HEAD = 300  # the first postings are enough, and keep this tier fast


@pytest.fixture(scope="module")
def indeed_events() -> dict[str, JobEvent]:
    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / INDEED_JOBS
    if not path.is_file():
        pytest.skip(f"public data not found at {path}")
    return {e.id: e for e in indeed_job_events(path, limit=INDEED_HEAD)}


# --- shared data: known records --------------------------------------------------------
def test_hn_known_post_temporal(hn_events: dict[str, JobEvent]) -> None:
    e = hn_events["hn-46466124"]
    assert (e.op, e.version, e.source) == (Op.UPSERT, 1, "hn")
    assert e.company == "Temporal Technologies"
    assert e.country == "United States" and e.remote == "remote"
    assert e.employment_type == "full-time" and e.seniority == "senior"
    assert e.posted_at == datetime(2026, 1, 2, 16, 4, 13, tzinfo=timezone.utc)
    assert e.description and e.description.startswith("Temporal Technologies |")
    assert e.fields()["url"] == "https://news.ycombinator.com/item?id=46466124"


def test_hn_known_post_header_fields(hn_events: dict[str, JobEvent]) -> None:
    e = hn_events["hn-46596381"]  # "Doubling | Junior Software Engineer (Contract, 1099) | NYC ONSITE | doubling.io"
    assert e.company == "Doubling" and e.title == "Junior Software Engineer (Contract, 1099)"
    assert (e.location, e.fields()["city"], e.country) == ("New York", "New York", "United States")
    assert (e.remote, e.employment_type, e.seniority) == ("onsite", "contract", "junior")
    assert {"TypeScript", "React"} <= set(e.skills)


def test_hn_corpus_is_populated_sensibly(hn_events: dict[str, JobEvent]) -> None:
    events = list(hn_events.values())
    assert len(events) == 1720 and all(e.id.startswith("hn-") for e in events)
    share = lambda pred: sum(map(pred, events)) / len(events)  # noqa: E731
    assert share(lambda e: e.title is not None) > 0.9
    assert share(lambda e: e.company is not None) > 0.8
    assert share(lambda e: e.remote is not None) > 0.9
    assert share(lambda e: bool(e.skills)) > 0.6
    assert all(e.posted_at and e.posted_at.year == 2026 for e in events)


def test_indeed_known_posting(indeed_events: dict[str, JobEvent]) -> None:
    e = indeed_events["indeed-7d2cd5fe12913cc0"]
    assert (e.title, e.company, e.source) == ("HR Internship", "Kaushik Cunsultancy", "indeed")
    assert (e.location, e.country, e.fields()["city"]) == ("Delhi, Delhi", "India", "Delhi")
    assert e.seniority == "intern" and e.remote == "remote"  # "Work from home" opens the text
    assert e.posted_at == datetime(2023, 2, 19, 12, 28, 13, 400000, tzinfo=timezone.utc)  # "Just posted"


def test_indeed_salary_skills_and_age(indeed_events: dict[str, JobEvent]) -> None:
    e = indeed_events["indeed-09c8ba0565db5b9f"]
    assert e.salary == "₹12,000 - ₹20,000 a month"
    assert "Payroll" in e.skills and e.fields()["city"] == "Chennai"
    assert len(indeed_events) == INDEED_HEAD and all(x.posted_at for x in indeed_events.values())


@pytest.mark.parametrize(("relative", "days"), [("Just posted", 0), ("Today", 0), ("3 days ago", 3), ("30+ days ago", 30)])
def test_indeed_posted_at_is_scrape_time_minus_relative_age(relative: str, days: int) -> None:
    record = {"id": "x1", "title": "Data Analyst", "company": "Acme", "location": "Pune, Maharashtra",
              "description": "Job Type: Part-time\nSQL and Excel.", "salary": "", "posted_relative": relative,
              "scraped_at": "2023-02-19T12:00:00.000Z"}
    event = indeed_job_event(record)
    assert (datetime(2023, 2, 19, 12, tzinfo=timezone.utc) - event.posted_at).days == days
    assert (event.id, event.employment_type, event.remote, event.salary) == ("indeed-x1", "part-time", "onsite", None)
    assert event.skills == ["SQL", "Excel"] and event.fields()["city"] == "Pune"


def test_indeed_remote_postings_have_no_place(indeed_events: dict[str, JobEvent]) -> None:
    remote = [e for e in indeed_events.values() if e.remote == "remote" and e.location is None]
    assert remote and all(e.fields().get("city") is None for e in remote)


def test_demo_uses_both_sources_when_shared_data_present(shared_data: Path) -> None:
    events = list(demo_job_events(load_settings(shared_data_dir=shared_data), limit=10))
    assert [e.source for e in events[:4]] == ["hn", "indeed", "hn", "indeed"]


# --- bundled sample ----------------------------------------------------------------------
def test_sample_loads_300_well_formed_posts() -> None:
    events = list(hn_job_events(sample_path()))
    assert len(events) == 300 and len({e.id for e in events}) == 300
    assert all(e.company and e.title and e.description for e in events)
    assert (sample_path().parent / "LICENSE").is_file() and (sample_path().parent / "PROVENANCE.md").is_file()


def test_demo_falls_back_to_sample_without_shared_data(tmp_path: Path) -> None:
    events = list(demo_job_events(load_settings(shared_data_dir=tmp_path), limit=5))
    assert len(events) == 5 and all(e.source == "hn" for e in events)
    assert events[0].id == next(hn_job_events(sample_path())).id


# --- replicate and reading ---------------------------------------------------------------
def _events(n: int) -> list[JobEvent]:
    return [JobEvent(op=Op.UPSERT, id=f"j{i}", version=1, title=f"t{i}") for i in range(n)]


def test_replicate_reuses_texts_under_new_ids() -> None:
    out = list(replicate(iter(_events(3)), 8))
    assert [e.id for e in out] == ["j0", "j1", "j2", "j0-r2", "j1-r2", "j2-r2", "j0-r3", "j1-r3"]
    assert out[3].title == "t0"


def test_replicate_truncates_and_handles_empty() -> None:
    assert [e.id for e in replicate(_events(5), 2)] == ["j0", "j1"]
    assert list(replicate([], 3)) == []


def test_read_jsonl_names_missing_file_and_bad_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        list(read_jsonl(tmp_path / "nope.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n\n{oops\n')
    with pytest.raises(DataError, match="bad.jsonl:3: malformed JSON"):
        list(read_jsonl(bad))


# --- text facets -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "company", "location", "remote", "employment"),
    [
        ("Kinelo | kinelo.com | Product Engineering | San Francisco | Onsite", "Kinelo", "San Francisco", "onsite", None),
        ("Herakles Defense | Munich, Germany | REMOTE| Full-time", "Herakles Defense", "Munich, Germany", "remote", "full-time"),
        ("Sheer Health (https://www.sheerhealth.com) | New York, NY | Full-Time | ONSITE", "Sheer Health", "New York", "onsite", "full-time"),
        ("Findigs | Full-time | NYC | 3x/week in office (M,T, Th)", "Findigs", "New York", "hybrid", "full-time"),
    ],
)
def test_parse_header(line: str, company: str, location: str, remote: str, employment: str | None) -> None:
    header = parse_header(line + "\n\nBody text.")
    assert (header.company, header.location, header.remote, header.employment_type) == (company, location, remote, employment)


def test_parse_header_role_and_salary() -> None:
    header = parse_header("Pathos AI | Senior Software / AI Engineer | NYC (hybrid) | Full-time | $180-200K + equity")
    assert header.role == "Senior Software / AI Engineer" and header.salary == "$180-200K + equity"


def test_parse_header_without_pipes_keeps_only_keywords() -> None:
    header = parse_header("We are hiring engineers in Berlin, remote friendly.")
    assert header.company is None and header.city == "Berlin" and header.remote == "remote"


def test_places() -> None:
    assert find_place("Bangalore, Karnataka").city == "Bengaluru"
    assert find_place("Houston, TX").country == "United States"
    assert find_place("Lehi, UT").country == "United States"
    assert find_place("somewhere nice") is None
    assert place_names("NYC or SF") == ["New York", "San Francisco"]


def test_find_skills_whole_tokens_and_ambiguous_words() -> None:
    assert find_skills("Python, Go, React Native and k8s; CI/CD; C++ and C#.") == [
        "Python", "Go", "C++", "C#", "React Native", "Kubernetes", "CI/CD",
    ]
    assert find_skills("Go to our page; we excel at javascripting; reactive teams") == []


def test_detectors() -> None:
    assert detect_remote("Remote (US)") == "remote" and detect_remote("ONSITE, REMOTE, HYBRID") == "hybrid"
    assert detect_employment("Part-time") == "part-time" and detect_employment("") is None
    assert detect_seniority("Staff Engineer") == "staff" and detect_seniority("Sr. Engineer") == "senior"
