"""A small gazetteer: recognise a city or country in free text and name it canonically.

Used by the data loaders (and reusable by query understanding so jobs, profiles and queries
agree on names): cities keep their usual English name (``Bengaluru`` for Bangalore too),
countries their short English name (``United States``, ``United Kingdom``, ``India``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

US = "United States"
UK = "United Kingdom"

# canonical city -> (country, aliases)
CITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "San Francisco": (US, ("San Francisco", "SF", "SF Bay Area", "Bay Area", "SoMa")),
    "Palo Alto": (US, ("Palo Alto", "Menlo Park", "Mountain View", "Sunnyvale")),
    "San Jose": (US, ("San Jose",)),
    "Oakland": (US, ("Oakland", "Berkeley")),
    "Los Angeles": (US, ("Los Angeles", "LA", "Santa Monica")),
    "San Diego": (US, ("San Diego",)),
    "Seattle": (US, ("Seattle", "Bellevue", "Redmond")),
    "Portland": (US, ("Portland",)),
    "Denver": (US, ("Denver", "Boulder")),
    "Austin": (US, ("Austin",)),
    "Dallas": (US, ("Dallas",)),
    "Houston": (US, ("Houston",)),
    "Chicago": (US, ("Chicago",)),
    "Boston": (US, ("Boston", "Cambridge, MA", "Somerville")),
    "New York": (US, ("New York", "NYC", "NY", "Manhattan", "Brooklyn")),
    "Washington": (US, ("Washington, DC", "Washington DC", "DC")),
    "Atlanta": (US, ("Atlanta",)),
    "Miami": (US, ("Miami",)),
    "Philadelphia": (US, ("Philadelphia",)),
    "Pittsburgh": (US, ("Pittsburgh",)),
    "Salt Lake City": (US, ("Salt Lake City",)),
    "Toronto": ("Canada", ("Toronto",)),
    "Montreal": ("Canada", ("Montreal", "Montréal")),
    "Vancouver": ("Canada", ("Vancouver",)),
    "London": (UK, ("London",)),
    "Cambridge": (UK, ("Cambridge UK", "Cambridge, UK")),
    "Manchester": (UK, ("Manchester",)),
    "Edinburgh": (UK, ("Edinburgh",)),
    "Dublin": ("Ireland", ("Dublin",)),
    "Paris": ("France", ("Paris",)),
    "Berlin": ("Germany", ("Berlin",)),
    "Munich": ("Germany", ("Munich", "München")),
    "Hamburg": ("Germany", ("Hamburg",)),
    "Amsterdam": ("Netherlands", ("Amsterdam",)),
    "Zurich": ("Switzerland", ("Zurich", "Zürich")),
    "Stockholm": ("Sweden", ("Stockholm",)),
    "Copenhagen": ("Denmark", ("Copenhagen",)),
    "Helsinki": ("Finland", ("Helsinki",)),
    "Barcelona": ("Spain", ("Barcelona",)),
    "Madrid": ("Spain", ("Madrid",)),
    "Lisbon": ("Portugal", ("Lisbon",)),
    "Warsaw": ("Poland", ("Warsaw",)),
    "Prague": ("Czechia", ("Prague",)),
    "Vienna": ("Austria", ("Vienna",)),
    "Brussels": ("Belgium", ("Brussels",)),
    "Tel Aviv": ("Israel", ("Tel Aviv",)),
    "Bengaluru": ("India", ("Bengaluru", "Bangalore")),
    "Hyderabad": ("India", ("Hyderabad",)),
    "Pune": ("India", ("Pune",)),
    "Mumbai": ("India", ("Mumbai", "Navi Mumbai", "Thane")),
    "Delhi": ("India", ("Delhi", "New Delhi")),
    "Gurgaon": ("India", ("Gurgaon", "Gurugram")),
    "Noida": ("India", ("Noida",)),
    "Chennai": ("India", ("Chennai",)),
    "Kolkata": ("India", ("Kolkata",)),
    "Ahmedabad": ("India", ("Ahmedabad",)),
    "Singapore": ("Singapore", ("Singapore",)),
    "Tokyo": ("Japan", ("Tokyo",)),
    "Sydney": ("Australia", ("Sydney",)),
    "Melbourne": ("Australia", ("Melbourne",)),
    "São Paulo": ("Brazil", ("São Paulo", "Sao Paulo")),
    "Mexico City": ("Mexico", ("Mexico City",)),
}

COUNTRIES: dict[str, tuple[str, ...]] = {
    US: ("United States", "USA", "US", "U.S.", "America"),
    UK: ("United Kingdom", "UK", "England", "Scotland"),
    "Canada": ("Canada",),
    "Germany": ("Germany",),
    "France": ("France",),
    "Netherlands": ("Netherlands",),
    "India": ("India",),
    "Spain": ("Spain",),
    "Portugal": ("Portugal",),
    "Sweden": ("Sweden",),
    "Switzerland": ("Switzerland",),
    "Ireland": ("Ireland",),
    "Poland": ("Poland",),
    "Israel": ("Israel",),
    "Japan": ("Japan",),
    "Australia": ("Australia",),
    "Brazil": ("Brazil",),
    "Mexico": ("Mexico",),
    "Pakistan": ("Pakistan",),
    "Czechia": ("Czechia", "Czech Republic"),
    "South Korea": ("South Korea", "Korea"),
    "United Arab Emirates": ("United Arab Emirates", "UAE", "Dubai"),
    "New Zealand": ("New Zealand",),
}
_MORE_COUNTRIES = (
    "Austria Belgium Denmark Finland Norway Italy Luxembourg Singapore Argentina Colombia Chile Estonia Romania "
    "Greece Turkey Nigeria Kenya Philippines Vietnam Indonesia China Taiwan Ukraine Hungary Lithuania Latvia"
).split()
COUNTRIES.update({c: (c,) for c in _MORE_COUNTRIES} | {"South Africa": ("South Africa",), "Hong Kong": ("Hong Kong",)})

US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
).split()

# Aliases that are ordinary words or too short are matched case-sensitively only.
_CASE_SENSITIVE = {"SF", "LA", "NY", "NYC", "DC", "US", "UK", "U.S.", "USA", "UAE", "SoMa"}


@dataclass(frozen=True)
class Place:
    city: str | None
    country: str


def _pattern(alias: str) -> re.Pattern[str]:
    flags = 0 if alias in _CASE_SENSITIVE else re.IGNORECASE
    return re.compile(rf"(?<![\w.]){re.escape(alias)}(?![\w])", flags)


_CITY_PATTERNS = [(_pattern(a), Place(city, country)) for city, (country, aliases) in CITIES.items() for a in aliases]
_COUNTRY_PATTERNS = [(_pattern(a), Place(None, country)) for country, aliases in COUNTRIES.items() for a in aliases]
_US_STATE = re.compile(rf",\s*({'|'.join(US_STATES)})\b")


def find_place(text: str) -> Place | None:
    """The first place named in ``text`` (earliest position; a city beats a country at a tie)."""
    hits = [(m.start(), 0, place) for pat, place in _CITY_PATTERNS if (m := pat.search(text))]
    hits += [(m.start(), 1, place) for pat, place in _COUNTRY_PATTERNS if (m := pat.search(text))]
    if (m := _US_STATE.search(text)) is not None:
        hits.append((m.start(), 2, Place(None, US)))
    return min(hits, key=lambda h: (h[0], h[1]))[2] if hits else None


def country_of_city(city: str) -> str | None:
    entry = CITIES.get(city)
    return entry[0] if entry else None


def place_names(text: str) -> list[str]:
    """Canonical names of every city and country named in ``text``, in order of appearance."""
    hits = [(m.start(), p.city) for pat, p in _CITY_PATTERNS if (m := pat.search(text)) and p.city]
    hits += [(m.start(), p.country) for pat, p in _COUNTRY_PATTERNS if (m := pat.search(text))]
    names: list[str] = []
    for _, name in sorted(hits):
        if name not in names:
            names.append(name)
    return names
