"""The item side of judging: what a job or profile payload states, in canonical form.

Jobs use ``title``, ``seniority``, ``location``/``country``, ``remote``, ``skills``, ``company``,
``posted_at`` and ``description``; HN postings may add third-party ``llm_facets`` (``role``,
``experience_level``, ``remote``, ``technologies``), used only where the structured field is empty.
Profiles use ``current_title``/``headline``, ``seniority``/``years_experience``, ``location``,
``skills``, ``current_company`` and ``summary``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from semstream.models.judge.intent import canonical_place
from semstream.models.judge.text import ngram_set, normalise_seniority, seniority_from_years, seniority_of, tokens
from semstream.models.judge.vocab import AMBIGUOUS_SKILLS, CITIES, COUNTRIES
from semstream.schemas import EntityKind

_FACET_REMOTE = {"fully_remote": "remote", "remote": "remote", "hybrid": "hybrid",
                 "onsite_only": "onsite", "onsite": "onsite"}
_UNKNOWN = {"", "other", "not specified", "not_mentioned", "none", "unknown", "n/a"}


@dataclass
class ItemFacts:
    titles: list[str]
    body: str = ""
    seniority: str | None = None
    location: str = ""
    remote: str | None = None
    skills: set[str] = field(default_factory=set)  # canonical skill keys, " ".join(tokens(skill))
    posted_at: datetime | None = None
    company: str | None = None

    @cached_property
    def text_tokens(self) -> list[str]:
        return tokens(" ".join([*self.titles, self.body]))

    @cached_property
    def text_grams(self) -> set[str]:
        return ngram_set(self.text_tokens)

    @cached_property
    def body_tokens(self) -> list[str]:
        return tokens(self.body)

    @cached_property
    def places(self) -> set[str]:
        """Known places named by the location (cities add their country)."""
        return places_in(self.location)

    def has_skill(self, skill: str) -> bool:
        key = tokens(skill)
        if " ".join(key) in self.skills:
            return True
        return skill.lower() not in AMBIGUOUS_SKILLS and " ".join(key) in self.text_grams


def places_in(text: str) -> set[str]:
    """Every known city/country (aliases resolved) in a location string, plus cities' countries."""
    toks = re.findall(r"[\w.]+", text.lower())
    found: set[str] = set()
    for size in (1, 2, 3):
        for i in range(len(toks) - size + 1):
            cand = canonical_place(" ".join(toks[i : i + size]))
            if cand in CITIES:
                found |= {cand, CITIES[cand]}
            elif cand in COUNTRIES:
                found.add(cand)
    return found


def facts_of(kind: EntityKind, payload: dict[str, Any]) -> ItemFacts:
    """Canonical facts of a job or profile payload."""
    return _job_facts(payload) if kind is EntityKind.JOB else _profile_facts(payload)


def _known(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _UNKNOWN else text


def _job_facts(p: dict[str, Any]) -> ItemFacts:
    facets = p.get("llm_facets") if isinstance(p.get("llm_facets"), dict) else {}
    titles = [t for t in (_known(p.get("title")), _known(facets.get("role"))) if t]
    location = " ".join(x for x in (_known(p.get("location")), _known(p.get("country"))) if x)
    remote = p.get("remote") or _FACET_REMOTE.get(str(facets.get("remote") or "").lower())
    if remote is None and re.search(r"\bremote\b", location, re.I):
        remote = "remote"
    skills = [*(p.get("skills") or []), *(facets.get("technologies") or [])]
    seniority = (normalise_seniority(_known(p.get("seniority")))
                 or normalise_seniority(_known(facets.get("experience_level")))
                 or (seniority_of(titles[0]) if titles else None))
    return ItemFacts(
        titles=titles, body=str(p.get("description") or ""), seniority=seniority, location=location,
        remote=remote, skills={" ".join(tokens(str(s))) for s in skills}, posted_at=parse_time(p.get("posted_at")),
        company=_known(p.get("company")),
    )


def _profile_facts(p: dict[str, Any]) -> ItemFacts:
    titles = [t for t in (_known(p.get("current_title")), _known(p.get("headline"))) if t]
    seniority = normalise_seniority(_known(p.get("seniority")))
    if seniority is None and isinstance(p.get("years_experience"), int):
        seniority = seniority_from_years(p["years_experience"])
    if seniority is None and titles:
        seniority = seniority_of(titles[0])
    location = " ".join(x for x in (_known(p.get("location")), _known(p.get("country"))) if x)
    return ItemFacts(
        titles=titles, body=str(p.get("summary") or ""), seniority=seniority, location=location,
        skills={" ".join(tokens(str(s))) for s in p.get("skills") or []}, company=_known(p.get("current_company")),
    )


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
