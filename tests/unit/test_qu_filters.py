"""QU filters: field names, relaxation ladder, explicit-filter merge, relax_until."""

from __future__ import annotations

import pytest

from semstream.models.qu.filters import RELAX_ORDER, merge_filters, relax_until, relaxation_ladder, to_filter
from semstream.models.qu.service import QueryUnderstanding
from semstream.schemas import EntityKind
from semstream.store.fields import FILTER_FIELDS
from semstream.store.filters import Filter, Match, filter_holds


@pytest.fixture(scope="module")
def qu() -> QueryUnderstanding:
    return QueryUnderstanding.load(None)


QUERIES = [
    ("remote senior python developer in Berlin who know kafka posted this week, full-time, no crypto", EntityKind.JOB),
    ("data engineers at Stripe in the Bay Area with 5 years experience open to work not in Oakland", EntityKind.PROFILE),
]


@pytest.mark.parametrize(("query", "kind"), QUERIES)
def test_filters_use_only_declared_fields(qu: QueryUnderstanding, query: str, kind: EntityKind) -> None:
    parsed, flt, _ = qu.understand(query, kind)
    assert flt.must and {c.field for c in [*flt.must, *flt.must_not]} <= set(FILTER_FIELDS[kind])


@pytest.mark.parametrize(("query", "kind"), QUERIES)
def test_ladder_relaxes_in_order_and_ends_unfiltered(qu: QueryUnderstanding, query: str, kind: EntityKind) -> None:
    parsed = qu.parse(query, kind)
    ladder = relaxation_ladder(parsed)
    assert ladder[0] == to_filter(parsed) and ladder[-1].is_empty()
    sizes = [len(f.must) + len(f.must_not) for f in ladder]
    assert sizes == sorted(sizes, reverse=True) and len(set(map(str, ladder))) == len(ladder)


def test_ladder_drops_recency_first_and_city_before_country(qu: QueryUnderstanding) -> None:
    ladder = relaxation_ladder(qu.parse("remote python jobs in Berlin posted this week", EntityKind.JOB))
    fields = [{c.field for c in f.must} for f in ladder]
    assert "posted_ts" in fields[0] and "posted_ts" not in fields[1]
    city_gone = next(i for i, f in enumerate(fields) if "city" not in f)
    assert "country" in fields[city_gone]
    assert RELAX_ORDER.index("recency") < RELAX_ORDER.index("city") < RELAX_ORDER.index("country")


def test_relaxation_never_returns_zero_when_unfiltered_has_results(qu: QueryUnderstanding) -> None:
    payloads = [{"city": "london", "country": "GB", "remote": "onsite", "skills_key": ["java"]}]
    ladder = relaxation_ladder(qu.parse("remote python jobs in Berlin posted this week", EntityKind.JOB))
    flt, results, rung = relax_until(ladder, lambda f: [p for p in payloads if filter_holds(f, p)])
    assert results == payloads and rung == len(ladder) - 1 and flt.is_empty()


def test_relax_until_stops_at_first_sufficient_rung() -> None:
    ladder = [Filter(must=[Match(field="city", value="x")]), Filter()]
    flt, results, rung = relax_until(ladder, lambda f: [1] if f.is_empty() else [1, 2], min_results=2)
    assert rung == 0 and results == [1, 2] and flt == ladder[0]


def test_explicit_filters_win(qu: QueryUnderstanding) -> None:
    explicit = Filter(must=[Match(field="city", value="paris")])
    _, flt, _ = qu.understand("python jobs in Berlin remote", EntityKind.JOB, explicit)
    cities = [c for c in flt.must if c.field == "city"]
    assert cities == explicit.must and any(c.field == "remote" for c in flt.must)
    assert merge_filters(None, flt) == flt
    assert all(explicit.must[0] in rung.must for rung in qu.ladder(qu.parse("python jobs in Berlin", EntityKind.JOB), explicit))
