"""Query parser: the case table, facet accuracy thresholds, hard/soft rules and the parse budget."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from semstream.models.qu.evaluate import load_cases, run_qu_eval
from semstream.models.qu.filters import to_filter
from semstream.models.qu.schema import ParsedQuery
from semstream.models.qu.service import QueryUnderstanding
from semstream.models.qu.text import MAX_QUERY_CHARS
from semstream.schemas import EntityKind

CASES = Path(__file__).with_name("qu_cases.json")
NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)
# Measured on the table with ESCO v1.2 (see run_qu_eval): occupation 0.78, skills 0.98, all others 1.0.
THRESHOLDS = {"occupation": 0.72, "skills": 0.94, "seniority": 0.95, "city": 0.97, "country": 0.95, "remote": 0.97,
              "posted_within_days": 0.97, "employment_type": 0.97, "company": 0.95, "excluded": 0.95,
              "salary_hint": 0.95, "min_years_experience": 0.97, "hard_filter_fields": 0.95}


@pytest.fixture(scope="module")
def qu() -> QueryUnderstanding:
    return QueryUnderstanding.load(None)


@pytest.fixture(scope="module")
def qu_esco() -> QueryUnderstanding:
    esco = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "esco_v1.2"
    if not esco.is_dir():
        pytest.skip(f"ESCO folder not found at {esco}")
    return QueryUnderstanding.load(esco)


def test_case_table_covers_both_verticals_and_edge_inputs() -> None:
    cases = load_cases(CASES)
    assert len(cases) >= 100
    kinds = {c["kind"] for c in cases}
    assert kinds == {EntityKind.JOB, EntityKind.PROFILE}
    assert any(c["query"].strip() == "" for c in cases)
    assert any(c["expect"].get("excluded") for c in cases)


def test_facet_accuracy_stays_above_measured_thresholds(qu_esco: QueryUnderstanding, settings) -> None:
    report = run_qu_eval(CASES, settings, qu=qu_esco)
    low = {f: a for f, a in report["accuracy"].items() if a < THRESHOLDS[f]}
    assert not low, f"facets below threshold: {low}; failures: {report['failures'][:10]}"


def test_issue_examples(qu_esco: QueryUnderstanding) -> None:
    p, flt, hints = qu_esco.understand("remote senior python backend jobs in Berlin posted this week", EntityKind.JOB, now=NOW)
    assert (p.remote, p.seniority, p.city, p.country, p.posted_within_days) == ("remote", "senior", "Berlin", "DE", 7)
    assert p.skills == ["python"] and p.occupation == "software developer"
    assert p.posted_after_ts == int(NOW.timestamp()) - 7 * 86_400
    assert {c.field for c in flt.must} == {"remote", "city", "country", "posted_ts"}
    assert "seniority: senior" in hints and "berlin" not in p.rewrite.casefold()
    p, flt, hints = qu_esco.understand("ML engineers at fintech startups in London who know Kafka", EntityKind.PROFILE)
    assert p.city == "London" and "kafka" in p.skills
    assert any(c.field == "skills_key" and c.value == "kafka" for c in flt.must)
    assert any(h.startswith("company type: fintech startups") for h in hints)


def test_vague_query_applies_no_filter(qu: QueryUnderstanding) -> None:
    for query in ("engineer", "developer jobs", "jobs", "manager"):
        parsed, flt, _ = qu.understand(query, EntityKind.JOB)
        assert flt.is_empty() and parsed.occupation is None, query


def test_negations_map_to_must_not_or_hints(qu: QueryUnderstanding) -> None:
    parsed, flt, hints = qu.understand("python developer no onsite not crypto", EntityKind.JOB)
    assert [(c.field, c.value) for c in flt.must_not] == [("remote", "onsite")]
    assert "crypto" in parsed.excluded and "exclude: crypto" in hints
    parsed, flt, _ = qu.understand("marketing manager not in London", EntityKind.JOB)
    assert [(c.field, c.value) for c in flt.must_not] == [("city", "london")] and parsed.city is None


def test_fields_missing_for_people_become_hints(qu: QueryUnderstanding) -> None:
    parsed, flt, hints = qu.understand("remote data scientists posted this week", EntityKind.PROFILE)
    assert parsed.remote == "remote" and flt.is_empty()
    assert "workplace: remote" in hints and any("posted within days" in h for h in hints)


def test_learned_tagger_finds_unknown_company_after_at(qu: QueryUnderstanding) -> None:
    parsed, flt, _ = qu.understand("data engineers at Zentrix Labs in Berlin", EntityKind.PROFILE)
    assert parsed.company == "zentrix labs" and parsed.parser == "rules+tagger"
    assert any(c.field == "company_key" and c.value == "zentrix labs" for c in flt.must)


def test_rewrite_keeps_content_words(qu: QueryUnderstanding) -> None:
    assert qu.understand("remote jobs in Berlin", EntityKind.JOB)[0].rewrite != ""
    assert qu.understand("", EntityKind.JOB)[0].rewrite == ""


def test_long_input_is_cut(qu: QueryUnderstanding) -> None:
    parsed = qu.parser.parse("python developer " * 2000, EntityKind.JOB)
    assert len(parsed.original) <= MAX_QUERY_CHARS and parsed.skills == ["python"]


_text = st.text(st.characters(codec="utf-8"), max_size=300) | st.text(alphabet="abc XYZ-/,.$k0123+#\x00\t🙂", max_size=2000)


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=_text, kind=st.sampled_from(list(EntityKind)))
def test_any_string_gives_a_valid_schema(qu: QueryUnderstanding, text: str, kind: EntityKind) -> None:
    parsed = qu.parser.parse(text, kind)
    again = ParsedQuery.model_validate_json(parsed.model_dump_json())
    assert again.schema_version == "qu.v1" and again.kind is kind
    to_filter(parsed)


def test_parse_cpu_time_p99_under_20ms(qu: QueryUnderstanding) -> None:
    """CPU time (not wall time) so a loaded machine does not fail it; 200 varied inputs."""
    import random

    rng = random.Random(5)
    words = [c["query"] for c in load_cases(CASES)] + ["🙂" * 50, "x" * 10_000, "\x00\x01 not no -a " * 300]
    times = []
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        start = time.process_time()
        qu.parser.parse(text, rng.choice(list(EntityKind)))
        times.append(time.process_time() - start)
    times.sort()
    assert times[int(0.99 * len(times)) - 1] < 0.020
