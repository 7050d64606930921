"""The query side of judging: a JudgeQuery resolved into canonical constraints.

Structured fields are authoritative. A free-text query (only ``text``) is parsed with simple,
documented rules: recency ("last 7 days"), years ("5+ years" -> seniority), company ("at Stripe",
capitalised), location ("in Berlin" or a known place), remote words, seniority words, skills from
the built-in vocabulary; what remains is the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from semstream.models.judge.schema import JudgeQuery
from semstream.models.judge.text import (
    SENIORITY_LEVELS,
    normalise_seniority,
    phrase_in,
    role_tokens,
    seniority_from_years,
    tokens,
)
from semstream.models.judge.vocab import CITIES, COUNTRIES, PLACE_ALIASES, SKILLS

_RECENCY = (
    (re.compile(r"\b(?:posted\s+)?(?:in\s+the\s+)?(?:last|past)\s+(\d{1,3})\s+days?\b", re.I), None),
    (re.compile(r"\b(?:posted\s+)?(?:today|last\s+24\s+hours)\b", re.I), 1),
    (re.compile(r"\b(?:posted\s+)?(?:this|last|past)\s+week\b", re.I), 7),
    (re.compile(r"\b(?:posted\s+)?(?:this|last|past)\s+month\b", re.I), 30),
)
_YEARS = re.compile(r"\b(?:with\s+)?(\d{1,2})\s*\+?\s*(?:years?|yrs?)(?:\s+(?:of\s+)?experience)?\b", re.I)
_COMPANY = re.compile(r"\bat\s+([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})")
_IN_PLACE = re.compile(r"\b(?:in|near|based\s+in|around)\s+([a-zA-Z][\w .'-]*?)(?=\s+(?:with|at|who|posted|for|and)\b|[,;]|$)")
_REMOTE = (
    (re.compile(r"\b(?:fully\s+)?remote\b|\bwfh\b|\bwork\s+from\s+home\b", re.I), "remote"),
    (re.compile(r"\bhybrid\b", re.I), "hybrid"),
    (re.compile(r"\bon[\s-]?site\b|\bin[\s-]office\b", re.I), "onsite"),
)
_QUERY_SKILLS = [(s, tokens(s)) for s in SKILLS if s.lower() not in {"r", "c"}]


@dataclass
class Intent:
    """Canonical constraints of one query."""

    text: str
    role: list[str] = field(default_factory=list)
    seniority: str | None = None
    location: str | None = None  # canonical place name (see vocab), or the raw lower-cased text
    remote: str | None = None
    skills: list[str] = field(default_factory=list)  # display names
    recency_days: int | None = None
    company: str | None = None

    @property
    def seniority_level(self) -> int | None:
        return SENIORITY_LEVELS.get(self.seniority) if self.seniority else None


def canonical_place(text: str) -> str:
    """A place name with aliases resolved (``"NYC"`` -> ``"new york"``)."""
    key = " ".join(re.findall(r"[\w.]+", text.lower())).strip(" .")
    return PLACE_ALIASES.get(key, key)


def find_place(text: str) -> str | None:
    """The first known city or country (or alias) named in the text."""
    found = _place_span(text)
    return found[0] if found else None


def _place_span(text: str) -> tuple[str, str] | None:
    """(canonical place, the words that named it) for the first known place in the text."""
    toks = re.findall(r"[\w.]+", text.lower())
    for size in (3, 2, 1):
        for i in range(len(toks) - size + 1):
            words = " ".join(toks[i : i + size])
            cand = canonical_place(words)
            if cand in CITIES or cand in COUNTRIES:
                return cand, words
    return None


def resolve(query: JudgeQuery) -> Intent:
    """Canonical constraints: the structured fields if any are set, else rules over the text."""
    if query.is_structured():
        return _from_fields(query)
    return parse_text(query.text)


def _from_fields(q: JudgeQuery) -> Intent:
    return Intent(
        text=q.text,
        role=role_tokens(q.role) if q.role else [],
        seniority=normalise_seniority(q.seniority),
        location=canonical_place(q.location) if q.location else None,
        remote=q.remote,
        skills=list(q.skills),
        recency_days=q.recency_days,
        company=q.company,
    )


def parse_text(text: str) -> Intent:
    """Extract constraints from a free-text query; the leftover words are the role."""
    intent, rest = Intent(text=text), text
    rest = _take_recency(rest, intent)
    rest = _take_years(rest, intent)
    rest = _take_company(rest, intent)
    rest = _take_place(rest, intent)
    rest = _take_remote(rest, intent)
    intent.seniority = intent.seniority or normalise_seniority(rest)
    left = role_tokens(rest)
    for name, skill_toks in _QUERY_SKILLS:
        if phrase_in(skill_toks, left):
            intent.skills.append(name)
            left = [t for t in left if t not in skill_toks]
    intent.role = left
    return intent


def _take_recency(rest: str, intent: Intent) -> str:
    for pattern, days in _RECENCY:
        m = pattern.search(rest)
        if m:
            intent.recency_days = days if days is not None else max(1, int(m.group(1)))
            return rest[: m.start()] + " " + rest[m.end() :]
    return rest


def _take_years(rest: str, intent: Intent) -> str:
    m = _YEARS.search(rest)
    if not m:
        return rest
    intent.seniority = seniority_from_years(int(m.group(1)))
    return rest[: m.start()] + " " + rest[m.end() :]


def _take_company(rest: str, intent: Intent) -> str:
    m = _COMPANY.search(rest)
    if not m or find_place(m.group(1)):
        return rest
    intent.company = m.group(1).strip()
    return rest[: m.start()] + " " + rest[m.end() :]


def _take_place(rest: str, intent: Intent) -> str:
    m = _IN_PLACE.search(rest)
    # "in <Place>" counts when the place is known or capitalised ("in Scottsdale", not "in fintech").
    if m and (find_place(m.group(1)) or m.group(1)[:1].isupper()):
        intent.location = find_place(m.group(1)) or canonical_place(m.group(1))
        return rest[: m.start()] + " " + rest[m.end() :]
    found = _place_span(rest)
    if found:
        intent.location = found[0]
        rest = re.sub(r"\b" + r"\W+".join(map(re.escape, found[1].split())) + r"\b", " ", rest, flags=re.I)
    return rest


def _take_remote(rest: str, intent: Intent) -> str:
    for pattern, policy in _REMOTE:
        if pattern.search(rest):
            intent.remote = policy
            return pattern.sub(" ", rest)
    return rest
