"""Text normalisation shared by the judge, the query generator and the evaluators.

Titles and queries are compared as *canonical token lists*: lower-cased, punctuation split off
(keeping ``c++``, ``c#``, ``node.js``), two-word spellings joined (``front-end`` -> ``frontend``)
and a few synonyms folded (``engineer``/``programmer``/``dev`` -> ``developer``).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:\.[a-z0-9]+)*[+#]*")

# Two-word spellings folded into one token (after splitting on punctuation: "front-end" -> front, end).
_BIGRAMS: dict[tuple[str, str], str] = {
    ("front", "end"): "frontend", ("back", "end"): "backend", ("full", "stack"): "fullstack",
    ("machine", "learning"): "ml", ("artificial", "intelligence"): "ai", ("site", "reliability"): "sre",
    ("dev", "ops"): "devops", ("node", "js"): "node", ("react", "js"): "react", ("vue", "js"): "vue",
    ("next", "js"): "nextjs", ("react", "native"): "reactnative", ("human", "resources"): "hr",
    ("human", "resource"): "hr", ("quality", "assurance"): "qa", ("ui", "ux"): "uiux", ("ux", "ui"): "uiux",
}

# Single-token synonyms, applied after tokenising.
_SYNONYMS: dict[str, str] = {
    "engineer": "developer", "engineers": "developer", "engineering": "developer",
    "developers": "developer", "programmer": "developer", "programmers": "developer",
    "dev": "developer", "devs": "developer", "coder": "developer",
    "swe": "developer", "sde": "developer",
    "scientists": "scientist", "analysts": "analyst", "managers": "manager",
    "designers": "designer", "recruiters": "recruiter", "consultants": "consultant",
    "architects": "architect", "administrators": "administrator", "admin": "administrator",
    "golang": "go", "js": "javascript", "ts": "typescript", "k8s": "kubernetes",
    "postgres": "postgresql", "nodejs": "node", "reactjs": "react", "mgr": "manager",
    "fe": "frontend", "be": "backend", "sr": "senior", "jr": "junior", "snr": "senior",
    "node.js": "node", "react.js": "react", "vue.js": "vue", "next.js": "nextjs",
}

# Words that state seniority rather than the role.
SENIORITY_WORDS: dict[str, str] = {
    "intern": "intern", "interns": "intern", "juniors": "junior", "seniors": "senior", "internship": "intern", "trainee": "intern",
    "graduate": "junior", "entry": "junior", "junior": "junior", "associate": "junior",
    "mid": "mid", "intermediate": "mid",
    "senior": "senior", "experienced": "senior",
    "staff": "lead", "lead": "lead", "principal": "principal", "founding": "lead",
    "head": "principal", "director": "principal", "vp": "principal",
}

# Ordinal ladder used to compare seniorities; unknown labels map to None.
SENIORITY_LEVELS: dict[str, int] = {"intern": 0, "junior": 1, "mid": 2, "senior": 3, "lead": 4, "principal": 5}

# Words that head a role phrase ("data *scientist*", "backend *developer*").
ROLE_HEADS: frozenset[str] = frozenset({
    "developer", "scientist", "analyst", "manager", "designer", "architect", "administrator",
    "recruiter", "consultant", "specialist", "executive", "officer", "lead", "director", "technician",
    "researcher", "writer", "accountant", "teacher", "nurse", "operator", "assistant", "associate",
    "intern", "sre", "devops", "marketer", "scaffolder", "electrician", "mechanic", "driver",
    "agent", "representative", "coordinator", "advisor", "tester", "support", "owner", "partner",
    "generalist", "strategist", "editor", "counsel", "lawyer", "clerk", "cook", "chef", "worker",
})

# Tokens that never identify a role by themselves.
FILLER: frozenset[str] = frozenset({
    "a", "an", "the", "and", "or", "of", "for", "in", "at", "on", "to", "with", "near", "job", "jobs",
    "role", "roles", "position", "positions", "opening", "openings", "vacancy", "vacancies", "hiring",
    "wanted", "looking", "work", "career", "careers", "opportunity", "opportunities", "i", "ii", "iii",
    "iv", "level", "years", "year", "yrs", "experience", "exp", "people", "person", "profiles",
    "candidates", "who", "know", "knows", "based", "new", "permanent",
    "contract", "m", "f", "d", "w", "x", "plus", "multiple", "various",
})


def tokens(text: str) -> list[str]:
    """Canonical tokens: lower-cased, two-word spellings joined, synonyms folded."""
    raw = _TOKEN.findall(text.lower())
    out: list[str] = []
    i = 0
    while i < len(raw):
        joined = _BIGRAMS.get((raw[i], raw[i + 1])) if i + 1 < len(raw) else None
        out.append(joined or _SYNONYMS.get(raw[i], raw[i]))
        i += 2 if joined else 1
    return out


def role_tokens(text: str) -> list[str]:
    """Tokens of a role phrase without seniority words, filler, or a bare "software" before "developer"."""
    toks = [t for t in tokens(text) if t not in SENIORITY_WORDS and t not in FILLER]
    return [t for i, t in enumerate(toks) if not (t == "software" and toks[i + 1 : i + 2] == ["developer"])]


def head_of(role: list[str]) -> str | None:
    """The last role-head noun of a canonical role token list, if any."""
    for tok in reversed(role):
        if tok in ROLE_HEADS:
            return tok
    return None


def seniority_of(text: str) -> str | None:
    """The highest seniority a title or query states (``"Senior Staff Engineer"`` -> ``lead``)."""
    found = [SENIORITY_WORDS[t] for t in tokens(text) if t in SENIORITY_WORDS]
    return max(found, key=lambda s: SENIORITY_LEVELS[s]) if found else None


def normalise_seniority(value: str | None) -> str | None:
    """Map free seniority labels ("Senior", "Not specified", "Entry level") onto the ladder."""
    if not value:
        return None
    key = value.strip().lower()
    if key in SENIORITY_LEVELS:
        return key
    return seniority_of(key)


def seniority_from_years(years: int) -> str:
    """Years of experience onto the ladder: 0-1 junior, 2-4 mid, 5-7 senior, 8+ lead."""
    if years < 2:
        return "junior"
    if years < 5:
        return "mid"
    return "senior" if years < 8 else "lead"


def phrase_in(phrase_tokens: list[str], text_tokens: list[str]) -> bool:
    """True when the token sequence occurs contiguously in ``text_tokens``."""
    n = len(phrase_tokens)
    if n == 0:
        return False
    return any(text_tokens[i : i + n] == phrase_tokens for i in range(len(text_tokens) - n + 1))


def ngram_set(toks: list[str], max_n: int = 3) -> set[str]:
    """Every contiguous 1..max_n token phrase, space-joined, for fast phrase membership tests."""
    return {" ".join(toks[i : i + n]) for n in range(1, max_n + 1) for i in range(len(toks) - n + 1)}
