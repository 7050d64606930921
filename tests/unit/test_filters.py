"""Reference semantics of the store-neutral filter language (what every adapter must reproduce)."""

from __future__ import annotations

import pytest

from semstream.store.filters import (
    Filter,
    Match,
    MatchAny,
    Range,
    condition_holds,
    field_values,
    filter_holds,
    values_equal,
)

JOB = {"country": "us", "skills_key": ["python", "sql"], "remote": True, "posted_ts": 100, "score": 2.5}


def test_field_values_flattens_lists_and_drops_missing() -> None:
    assert field_values(JOB, "skills_key") == ["python", "sql"]
    assert field_values(JOB, "country") == ["us"]
    assert field_values(JOB, "missing") == []
    assert field_values({"x": None}, "x") == []


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (Match(field="country", value="us"), True),
        (Match(field="country", value="US"), False),
        (Match(field="skills_key", value="sql"), True),  # list field: contains
        (Match(field="skills_key", value="go"), False),
        (Match(field="remote", value=True), True),
        (Match(field="remote", value=False), False),
        (Match(field="posted_ts", value=100), True),
        (Match(field="missing", value="x"), False),
    ],
)
def test_match(condition: Match, holds: bool) -> None:
    assert condition_holds(condition, JOB) is holds


def test_match_distinguishes_bool_int_and_float_like_qdrant() -> None:
    assert not condition_holds(Match(field="flag", value=True), {"flag": 1})
    assert not condition_holds(Match(field="n", value=1), {"n": True})
    assert not condition_holds(Match(field="n", value=3), {"n": 3.0})
    assert not condition_holds(Match(field="n", value=3), {"n": "3"})
    assert values_equal(False, False) and not values_equal(0, False) and not values_equal(1.0, 1.0)


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (MatchAny(field="skills_key", values=["go", "sql"]), True),  # shares one
        (MatchAny(field="skills_key", values=["go", "rust"]), False),
        (MatchAny(field="country", values=["de", "us"]), True),
        (MatchAny(field="country", values=[]), False),
        (MatchAny(field="posted_ts", values=[100, "x"]), True),
        (MatchAny(field="missing", values=["a"]), False),
    ],
)
def test_match_any(condition: MatchAny, holds: bool) -> None:
    assert condition_holds(condition, JOB) is holds


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (Range(field="posted_ts", gte=100, lte=100), True),  # bounds inclusive
        (Range(field="posted_ts", gte=101), False),
        (Range(field="posted_ts", lte=99.5), False),
        (Range(field="posted_ts"), True),  # open both ways: any number
        (Range(field="score", gte=2.0, lte=3.0), True),
        (Range(field="country", gte=0), False),  # strings are not numbers
        (Range(field="remote", gte=0), False),  # nor are booleans
        (Range(field="missing", gte=0), False),
    ],
)
def test_range(condition: Range, holds: bool) -> None:
    assert condition_holds(condition, JOB) is holds


def test_range_on_a_list_holds_if_any_element_is_inside() -> None:
    assert condition_holds(Range(field="xs", gte=5, lte=6), {"xs": [1, 5.5, 9]})
    assert not condition_holds(Range(field="xs", gte=2, lte=4), {"xs": [1, 9]})


def test_filter_combines_must_and_must_not() -> None:
    assert filter_holds(None, JOB) and filter_holds(Filter(), JOB) and Filter().is_empty()
    both = Filter(must=[Match(field="country", value="us"), Range(field="posted_ts", gte=50)])
    assert filter_holds(both, JOB)
    assert not filter_holds(Filter(must=[*both.must, Match(field="remote", value=False)]), JOB)
    assert not filter_holds(Filter(must_not=[Match(field="skills_key", value="sql")]), JOB)
    assert filter_holds(Filter(must_not=[Match(field="missing", value="x")]), JOB)  # absent -> not excluded
    assert not Filter(must_not=[Match(field="a", value=1)]).is_empty()


def test_filter_round_trips_through_json() -> None:
    flt = Filter(
        must=[Match(field="country", value="us"), MatchAny(field="skills_key", values=["go"])],
        must_not=[Range(field="posted_ts", lte=10)],
    )
    again = Filter.model_validate_json(flt.model_dump_json())
    assert again == flt
    assert [type(c) for c in again.must] == [Match, MatchAny] and isinstance(again.must_not[0], Range)
    assert Filter.model_validate({"must": [{"kind": "match", "field": "remote", "value": True}]}).must[0].value is True
