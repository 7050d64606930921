"""Ingest-side normalisation: the very functions query understanding uses for its facets."""

from __future__ import annotations

from semstream.models.qu.filters import city_key as _city_key
from semstream.models.qu.filters import country_code as _country_code
from semstream.models.qu.filters import normalise_key


def city_key(location: str | None) -> str | None:
    return _city_key(location) if location else None


def country_code(location: str | None) -> str | None:
    return _country_code(location) if location else None


def occupation_for(title: str | None) -> str | None:
    """The ESCO occupation a posting's or profile's title normalises to (None if unsure)."""
    if not title:
        return None
    from semstream.models.qu.titles import normalise_title

    return normalise_title(title)


__all__ = ["city_key", "country_code", "normalise_key", "occupation_for"]
