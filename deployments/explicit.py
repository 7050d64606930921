"""The client's explicit filters -> a store Filter, normalised exactly as ingest writes the payload."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from semstream.models.qu.filters import (
    city_key, company_key, country_code, normalise_employment_type, normalise_key, normalise_remote,
    normalise_seniority, normalise_skill,
)
from semstream.store.filters import Condition, Filter, Match, Range

DAY_S = 86_400

# explicit filter name -> (payload field, normaliser; unknown values fall back to normalise_key)
_KEYWORDS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "remote": ("remote", normalise_remote),
    "city": ("city", city_key),
    "country": ("country", country_code),
    "seniority": ("seniority", normalise_seniority),
    "employment_type": ("employment_type", normalise_employment_type),
    "company": ("company_key", company_key),
}


def explicit_filter(filters: dict[str, Any], now: Callable[[], float] = time.time) -> Filter | None:
    """None when the client set no filter."""
    must: list[Condition] = []
    for name, (field, normalise) in _KEYWORDS.items():
        if filters.get(name):
            value = str(filters[name])
            must.append(Match(field=field, value=normalise(value) or normalise_key(value)))
    must += [Match(field="skills_key", value=normalise_skill(s)) for s in filters.get("skills", [])]
    if filters.get("open_to_work") is not None:
        must.append(Match(field="open_to_work", value=bool(filters["open_to_work"])))
    if filters.get("posted_within_days"):
        must.append(Range(field="posted_ts", gte=int(now()) - int(filters["posted_within_days"]) * DAY_S))
    low, high = filters.get("min_years_experience"), filters.get("max_years_experience")
    if low is not None or high is not None:
        must.append(Range(field="years_experience", gte=low, lte=high))
    return Filter(must=must) if must else None
