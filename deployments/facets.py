"""How query-understanding facets map to store filter conditions: disabling and relaxing them.

A facet ``name`` owns the payload fields below. Disabling a facet drops its conditions from
the filter; relaxing drops the conditions of one step of ``RELAX_ORDER`` when filters match too
few items. Conditions on fields the client set explicitly are never relaxed.
"""

from __future__ import annotations

import re

from semstream.models.qu.schema import Facet
from semstream.store.filters import Condition, Filter, Match, MatchAny

from semstream.deployments.stages import Relaxation

FACET_FIELDS: dict[str, tuple[str, ...]] = {
    "location": ("city", "country"),
    "city": ("city",),
    "country": ("country",),
    "remote": ("remote",),
    "seniority": ("seniority",),
    "occupation": ("occupation",),
    "skill": ("skills_key",),
    "skills": ("skills_key",),
    "company": ("company_key",),
    "recency": ("posted_ts",),
    "employment_type": ("employment_type",),
    "experience": ("years_experience",),
    "open_to_work": ("open_to_work",),
}

# Explicit (client-set) filter name -> payload fields it constrains.
EXPLICIT_FIELDS: dict[str, tuple[str, ...]] = {
    "remote": ("remote",),
    "city": ("city",),
    "country": ("country",),
    "seniority": ("seniority",),
    "employment_type": ("employment_type",),
    "company": ("company_key",),
    "skills": ("skills_key",),
    "posted_within_days": ("posted_ts",),
    "open_to_work": ("open_to_work",),
    "min_years_experience": ("years_experience",),
    "max_years_experience": ("years_experience",),
}

# Fallback order: the most specific, least essential constraint goes first.
RELAX_ORDER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recency", ("posted_ts",)),
    ("skill", ("skills_key",)),
    ("company", ("company_key",)),
    ("seniority", ("seniority",)),
    ("employment_type", ("employment_type",)),
    ("experience", ("years_experience",)),
    ("city", ("city",)),
    ("occupation", ("occupation",)),
    ("remote", ("remote",)),
    ("country", ("country",)),
)


def facet_id(facet: Facet) -> str:
    return f"{facet.name}:{facet.value}"


def _norm(value: object) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(value).casefold())


def is_disabled(facet: Facet, disabled: set[str]) -> bool:
    return facet.name in disabled or facet_id(facet) in disabled


def _fields_of(facet: Facet) -> tuple[str, ...]:
    return FACET_FIELDS.get(facet.name, (facet.name,))


def _without_value(cond: Condition, value: str) -> Condition | None:
    """The condition minus ``value``; None when nothing of it is left."""
    if isinstance(cond, Match):
        return None if _norm(cond.value) == _norm(value) else cond
    if isinstance(cond, MatchAny):
        rest = [v for v in cond.values if _norm(v) != _norm(value)]
        return cond.model_copy(update={"values": rest}) if rest else None
    return cond


def _drop_facet(conds: list[Condition], facet: Facet, by_value: bool) -> list[Condition]:
    fields = _fields_of(facet)
    out: list[Condition] = []
    for cond in conds:
        if cond.field not in fields:
            out.append(cond)
        elif by_value and (kept := _without_value(cond, facet.value)) is not None:
            out.append(kept)
    return out


def disable_facets(flt: Filter, facets: list[Facet], disabled: set[str]) -> Filter:
    """``flt`` without the conditions of disabled facets.

    A facet whose name is unique among the facets drops every condition on its fields; when
    several facets share a name (e.g. two skills) only the condition values that match it go.
    """
    must, must_not = list(flt.must), list(flt.must_not)
    names = [f.name for f in facets]
    for facet in facets:
        if not is_disabled(facet, disabled):
            continue
        by_value = names.count(facet.name) > 1
        if facet.negated:
            must_not = _drop_facet(must_not, facet, by_value)
        else:
            must = _drop_facet(must, facet, by_value)
    return Filter(must=must, must_not=must_not)


def protected_fields(explicit: dict[str, object]) -> set[str]:
    return {f for name in explicit for f in EXPLICIT_FIELDS.get(name, ())}


def relaxation_plan(flt: Filter, protected: set[str]) -> list[Relaxation]:
    """The relaxation steps that would change ``flt``, in ``RELAX_ORDER``."""
    present = {c.field for c in flt.must} - protected
    return [Relaxation(name=name, fields=list(fields)) for name, fields in RELAX_ORDER if present & set(fields)]


def without_fields(flt: Filter, fields: list[str], protected: set[str] | None = None) -> Filter:
    """``flt`` with the positive conditions on ``fields`` removed (exclusions are kept)."""
    drop = set(fields) - (protected or set())
    return Filter(must=[c for c in flt.must if c.field not in drop], must_not=list(flt.must_not))
