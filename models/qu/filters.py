"""ParsedQuery -> store Filter, the relaxation ladder, and the value normalisers ingest shares.

Payload values written at ingest must be produced by the same helpers used here:
``city_key(location)``, ``country_code(location or country)``, ``company_key(company)``,
``normalise_skill(skill)`` for each entry of ``skills_key``, ``normalise_seniority``,
``normalise_employment_type``, ``normalise_remote`` and ``normalise_title`` for ``occupation``.

Relaxation order (``RELAX_ORDER``), used when a filtered search returns too few results: drop
recency, then must-have skills, years of experience, seniority, employment type, company, city
(the country stays), country, remote policy, open-to-work, and finally the exclusions, which leaves
no QU filter at all. Explicit filters from the client are never relaxed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from semstream.models.qu.assemble import facet_field
from semstream.models.qu.gazetteer import default_gazetteer
from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.models.qu.titles import normalise_title  # noqa: F401  (re-exported for ingest)
from semstream.models.qu.vocab import (  # noqa: F401  (re-exported for ingest)
    company_key, normalise_employment_type, normalise_key, normalise_remote, normalise_seniority, normalise_skill,
)
from semstream.store.fields import FILTER_FIELDS
from semstream.store.filters import Condition, Filter, Match, MatchAny, Range

RELAX_ORDER: tuple[str, ...] = ("recency", "skill", "years_experience", "seniority", "employment_type", "company",
                                "city", "country", "remote", "open_to_work", "negated")
T = TypeVar("T")


def city_key(location: str | None) -> str | None:
    """Payload ``city``: the lower-cased canonical city of a location string ("NYC" -> "new york")."""
    return default_gazetteer().city_key(location)


def country_code(location: str | None) -> str | None:
    """Payload ``country``: ISO alpha-2 of a country, city or location string ("Berlin" -> "DE")."""
    return default_gazetteer().country_code(location)


def to_filter(parsed: ParsedQuery) -> Filter:
    """Hard facets as conditions: values of one facet name are OR-ed, except skills (each must hold)."""
    fields = FILTER_FIELDS[parsed.kind]
    hard = [f for f in parsed.facets if f.hard and facet_field(f.name) in fields]
    must = _positive(parsed, [f for f in hard if not f.negated])
    must_not = [_match(facet_field(f.name) or f.name, f.payload_values()) for f in hard if f.negated]
    return Filter(must=must, must_not=must_not)


def _positive(parsed: ParsedQuery, facets: list[Facet]) -> list[Condition]:
    conditions: list[Condition] = []
    grouped: dict[str, list[str]] = {}
    for facet in facets:
        field = facet_field(facet.name) or facet.name
        if facet.name == "recency" and parsed.posted_after_ts is not None:
            conditions.append(Range(field=field, gte=parsed.posted_after_ts))
        elif facet.name == "years_experience" and parsed.min_years_experience is not None:
            conditions.append(Range(field=field, gte=parsed.min_years_experience))
        elif facet.name == "open_to_work":
            conditions.append(Match(field=field, value=True))
        elif facet.name == "skill":
            conditions.append(Match(field=field, value=facet.value))
        else:
            grouped.setdefault(field, []).extend(v for v in facet.payload_values() if v not in grouped.get(field, []))
    return conditions + [_match(field, values) for field, values in grouped.items()]


def _match(field: str, values: list[str]) -> Condition:
    return Match(field=field, value=values[0]) if len(values) == 1 else MatchAny(field=field, values=list(values))


def relaxation_ladder(parsed: ParsedQuery) -> list[Filter]:
    """Filters from strictest to none, one rung per ``RELAX_ORDER`` step that changes something."""
    ladder = [to_filter(parsed)]
    current = parsed
    for step in RELAX_ORDER:
        current = _soften(current, step)
        flt = to_filter(current)
        if flt != ladder[-1]:
            ladder.append(flt)
    if not ladder[-1].is_empty():
        ladder.append(Filter())
    return ladder


def _soften(parsed: ParsedQuery, step: str) -> ParsedQuery:
    facets = [
        f.model_copy(update={"hard": False}) if (f.negated if step == "negated" else f.name == step and not f.negated) else f
        for f in parsed.facets
    ]
    return parsed.model_copy(update={"facets": facets})


def merge_filters(explicit: Filter | None, understood: Filter) -> Filter:
    """Explicit conditions win: understood ones on a field the client constrained are dropped."""
    if explicit is None or explicit.is_empty():
        return understood
    taken = {c.field for c in [*explicit.must, *explicit.must_not]}
    return Filter(
        must=[*explicit.must, *(c for c in understood.must if c.field not in taken)],
        must_not=[*explicit.must_not, *(c for c in understood.must_not if c.field not in taken)],
    )


def relax_until(ladder: Sequence[Filter], fetch: Callable[[Filter], list[T]], min_results: int = 1) -> tuple[Filter, list[T], int]:
    """Walk the ladder until ``fetch`` returns at least ``min_results``: (filter, results, rung index).

    The last rung's results are returned even when short (it is the least filtered query).
    """
    if not ladder:
        ladder = [Filter()]
    results: list[T] = []
    for rung, flt in enumerate(ladder):
        results = fetch(flt)
        if len(results) >= min_results:
            return flt, results, rung
    return ladder[-1], results, len(ladder) - 1
