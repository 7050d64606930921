"""Natural-language search queries with a known structured intent, for the end-to-end QU evaluation.

``natural_queries`` starts from ``generate_queries`` (roles, skills, companies and places that
co-occur in the real corpus) and adds the facets query understanding extracts — a place, a remote
policy, a seniority, a recency window, an exclusion — each with a seeded probability, then renders
the intent as a searcher would type it: "remote senior python developer jobs in Pune posted this
week", "data scientist roles in London, no blockchain", "java developers in Berlin with 5+ years".
The text is rendered *from* the intent, so the judge's structured query and the words always agree.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from semstream.models.data.queries import Pools, build_pools, generate_queries
from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.schema import JudgeQuery
from semstream.models.judge.text import tokens
from semstream.schemas import EntityKind

# Terms a searcher may rule out: skills both the query parser and the judge know.
EXCLUDABLE = ("blockchain", "php", "java", "angular", "salesforce", "sap", "wordpress", "ruby")
_RECENCY_TEXT = {1: "posted today", 7: "posted this week", 30: "posted this month"}
_YEARS = {"junior": 1, "mid": 3, "senior": 5, "lead": 8}
# (facet, probability of adding it when the base query lacks it) per kind
_ADD_JOB = (("location", 0.4), ("remote", 0.25), ("seniority", 0.2), ("recency", 0.12), ("excluded", 0.12))
_ADD_PROFILE = (("location", 0.45), ("seniority", 0.25), ("excluded", 0.1))


@dataclass
class NLQuery:
    """A rendered query, the intent the judge reads, and the exclusions (the judge has no field for them)."""

    judge: JudgeQuery
    excluded: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.judge.text

    def facets(self) -> list[str]:
        """The constraint names this query states (for per-facet breakdowns)."""
        q = self.judge
        named = {"role": q.role, "skill": q.skills, "location": q.location, "remote": q.remote,
                 "seniority": q.seniority, "recency": q.recency_days, "company": q.company, "excluded": self.excluded}
        return [name for name, value in named.items() if value]


def natural_queries(kind: EntityKind, payloads: Sequence[dict[str, Any]], n: int, seed: int,
                    esco: EscoIndex | None = None) -> list[NLQuery]:
    """``n`` distinct natural-language queries (fewer if the corpus is too small)."""
    pools = build_pools(kind, payloads)
    rng = random.Random(seed)
    out: list[NLQuery] = []
    seen: set[str] = set()
    for base in generate_queries(kind, payloads, n * 2, seed, esco):
        intent = base.model_dump(exclude={"text"}, exclude_none=True)
        intent["excluded"] = []
        _enrich(kind, intent, pools, rng)
        text = render(kind, intent, rng)
        if text in seen:
            continue
        seen.add(text)
        excluded = intent.pop("excluded")
        out.append(NLQuery(JudgeQuery(text=text, **{k: v for k, v in intent.items() if v}), excluded))
        if len(out) >= n:
            break
    return out


def _enrich(kind: EntityKind, intent: dict[str, Any], pools: Pools, rng: random.Random) -> None:
    """Add facets the base query lacks, each with its probability (at most four constraints in all)."""
    for facet, p in _ADD_JOB if kind is EntityKind.JOB else _ADD_PROFILE:
        if intent.get(facet) or rng.random() >= p or _constraints(intent) >= 4:
            continue
        if facet == "location":
            intent["location"] = pools.near(rng, intent.get("role", ""), "locations") if intent.get("role") else (
                rng.choice(pools.locations) if pools.locations else None)
        elif facet == "remote":
            intent["remote"] = rng.choice(["remote", "remote", "hybrid"])
        elif facet == "seniority" and "company" not in intent:
            intent["seniority"] = rng.choice(["junior", "senior", "senior", "lead"])
        elif facet == "recency":
            intent["recency_days"] = rng.choice([1, 7, 7, 30, 14])
        elif facet == "excluded":
            intent["excluded"] = _exclusion(intent, rng)


def _constraints(intent: dict[str, Any]) -> int:
    return sum(1 for k, v in intent.items() if v and k != "role")


def _exclusion(intent: dict[str, Any], rng: random.Random) -> list[str]:
    own = set(tokens(" ".join([intent.get("role", ""), *intent.get("skills", [])])))
    options = [t for t in EXCLUDABLE if not set(tokens(t)) & own]
    return [rng.choice(options)] if options else []


def render(kind: EntityKind, intent: dict[str, Any], rng: random.Random) -> str:
    """The intent as a searcher would type it (the wording varies with ``rng``)."""
    role, skills = intent.get("role"), [s.lower() for s in intent.get("skills", [])]
    lead: list[str] = []
    remote = intent.get("remote")
    remote_first = remote is not None and rng.random() < 0.6
    if remote_first:
        lead.append(remote)
    years_form = intent.get("seniority") in _YEARS and rng.random() < 0.3
    if intent.get("seniority") and not years_form:
        lead.append(intent["seniority"])
    knows = kind is EntityKind.PROFILE and len(skills) >= 2
    if skills and not knows:
        lead.append(skills[0] if role else " and ".join(skills))
    words = [*lead, _subject(kind, role, rng)]
    if knows:
        words.append(f"who know {' and '.join(skills)}")
    words += _tail(kind, intent, rng, remote if remote and not remote_first else None, years_form)
    return _tidy(" ".join(w for w in words if w))


def _subject(kind: EntityKind, role: str | None, rng: random.Random) -> str:
    if kind is EntityKind.PROFILE:
        return _plural(role) if role else rng.choice(["people", "candidates"])
    noun = rng.choice(["jobs", "jobs", "roles", "positions", "openings", ""])
    return f"{role} {noun}".strip() if role else "jobs"


def _tail(kind: EntityKind, intent: dict[str, Any], rng: random.Random, remote: str | None, years_form: bool) -> list[str]:
    tail: list[str] = []
    if intent.get("company"):
        tail.append(f"at {intent['company']}")
    if intent.get("location"):
        tail.append(f"{rng.choice(['in', 'in', 'in', 'based in' if kind is EntityKind.PROFILE else 'near'])} {intent['location']}")
    if years_form:
        tail.append(f"with {_YEARS[intent['seniority']]}+ years")
    if remote:
        tail.append(rng.choice([f", {remote}", f"({remote})"]) if remote == "hybrid" else rng.choice([", remote", ", work from home"]))
    days = intent.get("recency_days")
    if days:
        tail.append(_RECENCY_TEXT.get(days, f"posted in the last {days} days"))
    for term in intent.get("excluded", []):
        tail.append(rng.choice([f", no {term}", f", not {term}", f"without {term}"]))
    return tail


def _plural(role: str) -> str:
    return role if role.endswith("s") else role + "s"


def _tidy(text: str) -> str:
    return " ".join(text.replace(" ,", ",").replace(" (", " (").split()).replace(",,", ",").strip(" ,")
