"""The header line of a Hacker News "Who is hiring?" post: ``Company | Role | Location | REMOTE | ...``.

Posters follow the convention loosely, so each ``|``-separated segment is classified on its own:
the first is the company; then URLs, salary, employment type and remote policy are recognised
by keywords, the role by job words, and the location by the gazetteer in
:mod:`semstream.topics.places`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from semstream.schemas import RemotePolicy
from semstream.topics.jobtext import detect_employment, detect_remote
from semstream.topics.places import find_place, place_names

_URL = re.compile(r"https?://\S+|\b[\w-]+\.(com|io|ai|co|dev|org|net|app|so|xyz|tech)(/\S*)?\b", re.I)
_SALARY = re.compile(r"[$€£₹]\s?\d|\d+\s?[kK]\b|\bsalary\b|\bequity\b|\bcompensation\b", re.I)
_ROLE = re.compile(
    r"engineer|developer|scientist|designer|architect|analyst|manager|researcher|\blead\b|founding|head of|"
    r"director|\bsre\b|devops|product|marketing|sales|recruiter|\bcto\b|\bvp\b|intern|roles|positions|"
    r"engineering|programmer|specialist|consultant|operations|technician|writer|administrator|\bml\b|\bai\b",
    re.I,
)
_PARENS_URL = re.compile(r"\(\s*(https?://)?[\w.-]+\.\w+[^)]*\)")
_NOISE = re.compile(r"\b(remote|hybrid|on-?site|onsite|in[- ]office|full[- ]?time|part[- ]?time|only|ok)\b", re.I)
_MAX_COMPANY_CHARS = 60


@dataclass(frozen=True)
class HnHeader:
    company: str | None = None
    role: str | None = None
    location: str | None = None
    city: str | None = None
    country: str | None = None
    remote: RemotePolicy | None = None
    employment_type: str | None = None
    salary: str | None = None


def parse_header(text: str) -> HnHeader:
    """Facets from the first line of a post; a line without ``|`` yields only what keywords show."""
    line = text.strip().split("\n", 1)[0].strip()
    segments = [s.strip() for s in line.split("|") if s.strip()]
    if len(segments) < 2:
        return _from_loose_line(line)
    company = _company(segments[0])
    fields: dict[str, str] = {}
    for seg in segments[1:]:
        _classify(seg, fields)
    place = find_place(fields.get("location", "") or line)
    return HnHeader(
        company=company,
        role=fields.get("role"),
        location=fields.get("location"),
        city=place.city if place else None,
        country=place.country if place else None,
        remote=detect_remote(line),
        employment_type=detect_employment(line),
        salary=fields.get("salary"),
    )


def _from_loose_line(line: str) -> HnHeader:
    place = find_place(line)
    return HnHeader(
        city=place.city if place else None,
        country=place.country if place else None,
        remote=detect_remote(line),
        employment_type=detect_employment(line),
    )


def _company(segment: str) -> str | None:
    name = _PARENS_URL.sub("", segment).strip(" -–,")
    if not name or len(name) > _MAX_COMPANY_CHARS:
        return None
    return name


def _classify(segment: str, fields: dict[str, str]) -> None:
    """Store ``segment`` under the first field it fits that is still empty."""
    if _URL.fullmatch(segment.strip("() ")):
        return
    if _SALARY.search(segment):
        fields.setdefault("salary", segment)
        return
    if find_place(segment):
        fields.setdefault("location", ", ".join(place_names(segment)) or _clean_location(segment))
        return
    if _ROLE.search(segment) and not detect_remote(segment):
        fields.setdefault("role", segment)


def _clean_location(segment: str) -> str:
    """``Lehi, UT ONSITE`` -> ``Lehi, UT`` (for places the gazetteer knows only by their state)."""
    cleaned = _NOISE.sub("", segment)
    cleaned = re.sub(r"\(\s*\)", "", cleaned)
    cleaned = re.sub(r"\s{2,}", " ", cleaned).strip(" ,-–/()")
    return cleaned or segment
