"""Places: cities, countries and regions with their aliases, from ``data/gazetteer.json``.

Keys shared by query and ingest: a city key is the lower-cased canonical city name
("new york", "bengaluru"); a country key is the ISO 3166-1 alpha-2 code ("US", "DE").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from semstream.models.qu.exceptions import QUDataError

DATA_FILE = Path(__file__).with_name("data") / "gazetteer.json"
PlaceKind = Literal["city", "country", "region"]
_SPACES = re.compile(r"\s+")
_SPLIT = re.compile(r"[,;|()/]|\s+-\s+")
_NOT_PLACES = {"remote", "anywhere", "worldwide", "global", "hybrid", "onsite", "on-site", "multiple locations"}


def phrase_key(text: str) -> str:
    """Lower-case, hyphens and slashes as spaces, collapsed whitespace: the form phrases are matched in."""
    return _SPACES.sub(" ", text.casefold().replace("-", " ").replace("/", " ")).strip().rstrip(".").strip()


@dataclass(frozen=True)
class Place:
    """A resolved place: what it is called, and the payload keys it stands for."""

    name: str
    kind: PlaceKind
    city_keys: tuple[str, ...]
    country_codes: tuple[str, ...]


class Gazetteer:
    """Alias -> Place lookups; ``codes`` holds ISO codes that only match when written in upper case."""

    def __init__(self, phrases: dict[str, Place], codes: dict[str, Place]) -> None:
        self.phrases = phrases
        self.codes = codes
        self.max_words = max((len(p.split()) for p in phrases), default=1)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        path = path or DATA_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(*_build(data))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise QUDataError(f"cannot read gazetteer {path}: {e}") from e

    def lookup(self, phrase: str) -> Place | None:
        """The place an already lower-cased phrase names, or None."""
        return self.phrases.get(phrase_key(phrase))

    def lookup_code(self, token: str) -> Place | None:
        """A country for an upper-case ISO code such as ``DE``; lower-case codes are words."""
        return self.codes.get(token) if token.isupper() else None

    def resolve(self, text: str) -> Place | None:
        """A free-form location ("Berlin, Germany", "NYC", "Remote - US") -> the most specific place."""
        parts = [p.strip() for p in _SPLIT.split(text or "") if p.strip()]
        places = [p for p in (self.lookup(part) or self.lookup_code(part) for part in parts) if p]
        if not places:
            return None
        order = {"city": 0, "region": 1, "country": 2}
        return min(places, key=lambda p: order[p.kind])

    def city_key(self, text: str | None) -> str | None:
        """Payload ``city`` value for a location string; unknown cities fall back to their normalised name."""
        if not text or not text.strip():
            return None
        place = self.resolve(text)
        if place is not None:
            return place.city_keys[0] if place.kind == "city" else None
        head = phrase_key(_SPLIT.split(text)[0])
        return head if head and head not in _NOT_PLACES and not _looks_numeric(head) else None

    def country_code(self, text: str | None) -> str | None:
        """Payload ``country`` value (ISO alpha-2) for a location or country string, or None."""
        if not text or not text.strip():
            return None
        stripped = text.strip()
        if len(stripped) == 2 and stripped.upper() in self.codes:
            return stripped.upper()
        place = self.resolve(text)
        return place.country_codes[0] if place is not None and len(place.country_codes) == 1 else None


def _looks_numeric(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _build(data: dict) -> tuple[dict[str, Place], dict[str, Place]]:
    phrases: dict[str, Place] = {}
    codes: dict[str, Place] = {}
    for code, names in data["countries"].items():
        place = Place(names[0].title(), "country", (), (code,))
        codes[code] = place
        for name in names:
            phrases.setdefault(phrase_key(name), place)
    for region in data["regions"]:
        place = Place(region["name"], "region", tuple(region["cities"]), tuple(region["countries"]))
        for alias in region["aliases"]:
            phrases[phrase_key(alias)] = place
    for city in data["cities"]:
        place = Place(city["name"], "city", (phrase_key(city["name"]),), (city["country"],))
        for alias in [city["name"], *city["aliases"]]:
            phrases[phrase_key(alias)] = place
    return phrases, codes


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, loaded once per process."""
    return Gazetteer.load()
