"""A store-neutral filter language; each adapter translates it to its engine's types."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, Field


class Match(BaseModel):
    """``field`` equals ``value`` (for list fields: contains it)."""

    kind: Literal["match"] = "match"
    field: str
    value: str | int | bool


class MatchAny(BaseModel):
    """``field`` equals any of ``values`` (for list fields: shares one)."""

    kind: Literal["any"] = "any"
    field: str
    values: list[str | int]


class Range(BaseModel):
    """Numeric range on ``field`` (bounds inclusive, either may be open)."""

    kind: Literal["range"] = "range"
    field: str
    gte: float | None = None
    lte: float | None = None


Condition = Union[Match, MatchAny, Range]


class Filter(BaseModel):
    """All of ``must``, none of ``must_not``."""

    must: list[Condition] = Field(default_factory=list)
    must_not: list[Condition] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.must and not self.must_not


def field_values(payload: dict[str, Any], field: str) -> list[Any]:
    """The payload's value(s) at ``field`` as a list (lists are flattened; missing -> [])."""
    value = payload.get(field)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _value_type(value: Any) -> type | None:
    """The match type of a value as Qdrant sees it: bool, int and str are distinct, floats never match."""
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int
    return str if isinstance(value, str) else None


def values_equal(expected: Any, actual: Any) -> bool:
    """Match equality: ``True`` never equals ``1`` and ``3`` never equals ``3.0``, as in Qdrant."""
    kind = _value_type(expected)
    return kind is not None and kind is _value_type(actual) and expected == actual


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def condition_holds(condition: Condition, payload: dict[str, Any]) -> bool:
    """Reference semantics of a condition, used by the in-memory store and in tests."""
    values = field_values(payload, condition.field)
    if isinstance(condition, Match):
        return any(values_equal(condition.value, v) for v in values)
    if isinstance(condition, MatchAny):
        return any(values_equal(c, v) for c in condition.values for v in values)
    return any(
        _is_number(v)
        and (condition.gte is None or v >= condition.gte)
        and (condition.lte is None or v <= condition.lte)
        for v in values
    )


def filter_holds(flt: Filter | None, payload: dict[str, Any]) -> bool:
    if flt is None:
        return True
    return all(condition_holds(c, payload) for c in flt.must) and not any(
        condition_holds(c, payload) for c in flt.must_not
    )
