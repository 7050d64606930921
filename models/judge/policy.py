"""The policy judge: POLICY.md as deterministic rules over structured fields.

``grade = clamp(base - penalties)``, where the base comes from how well the role matches
(4 same role or ESCO synonym, 3 close, 2 same family, else 0-1) and each stated constraint that is
missed costs 1 (soft) or 2 (hard). A wrong company caps the grade at 1; a matching role never
falls below 1. See POLICY.md for the rubric this implements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from semstream.models.judge.esco import EscoIndex, Occupation
from semstream.models.judge.facts import ItemFacts, facts_of
from semstream.models.judge.intent import Intent, resolve
from semstream.models.judge.schema import Grade, JudgeQuery
from semstream.models.judge.text import SENIORITY_LEVELS, head_of, phrase_in, role_tokens, tokens
from semstream.models.judge.vocab import CITIES
from semstream.schemas import EntityKind


class RoleMatch(IntEnum):
    NONE = 0
    FAMILY = 2  # same head noun or ISCO minor group ("mobile developer" for "backend developer")
    CLOSE = 3  # same head and a shared qualifier, same ISCO unit group, or named in the body
    MATCH = 4  # the role's words are in the title, or the same ESCO occupation / synonym


@dataclass
class Check:
    """One constraint's verdict: how much it costs and why."""

    penalty: int
    note: str
    cap: int | None = None


class PolicyJudge:
    """Grades (query, item) pairs 0-4 by the written policy. Deterministic; no model calls."""

    def __init__(self, esco: EscoIndex | None = None, now: datetime | None = None) -> None:
        self.esco = esco
        self.now = now  # reference time for recency; None = recency not checked
        self._occ: dict[str, Occupation | None] = {}

    def grade(self, query: JudgeQuery, kind: EntityKind, payload: dict[str, Any]) -> Grade:
        intent, facts = resolve(query), facts_of(kind, payload)
        base, notes = self._base(intent, facts)
        checks = self._checks(intent, facts, kind)
        grade = base - sum(c.penalty for c in checks)
        if base >= RoleMatch.FAMILY:
            grade = max(grade, 1)
        for cap in (c.cap for c in checks if c.cap is not None):
            grade = min(grade, cap)
        grade = max(0, min(4, grade))
        notes += [c.note for c in checks if c.note]
        return Grade.of(grade, "; ".join(notes) + f" -> {grade}")

    # --- base: role (or, without a role, skills) ----------------------------------------
    def _base(self, intent: Intent, facts: ItemFacts) -> tuple[int, list[str]]:
        if not intent.role:
            return self._skills_only(intent, facts)
        level, why = self.role_match(intent.role, facts)
        if level is not RoleMatch.NONE:
            return int(level), [f"role {level.name.lower()}: {why}"]
        if any(facts.has_skill(s) for s in intent.skills):
            return 1, ["role none, shares a wanted skill"]
        return 0, [f"role none: '{' '.join(intent.role)}' vs {facts.titles or ['no title']}"]

    def _skills_only(self, intent: Intent, facts: ItemFacts) -> tuple[int, list[str]]:
        if not intent.skills:
            return 4, ["no role stated"]
        have = [s for s in intent.skills if facts.has_skill(s)]
        share = len(have) / len(intent.skills)
        base = 4 if share == 1 else 3 if share >= 0.5 else 2 if have else 0
        return base, [f"no role stated; skills {len(have)}/{len(intent.skills)}"]

    def role_match(self, role: list[str], facts: ItemFacts) -> tuple[RoleMatch, str]:
        """How well an item's titles (or body) match the wanted role tokens."""
        best, why = RoleMatch.NONE, ""
        for title in facts.titles:
            level = self._title_match(role, title)
            if level > best:
                best, why = level, f"'{title}'"
        if best < RoleMatch.CLOSE and len(role) >= 2 and phrase_in(role, facts.body_tokens):
            best, why = RoleMatch.CLOSE, f"'{' '.join(role)}' named in the text"
        return best, why

    def _title_match(self, role: list[str], title: str) -> RoleMatch:
        t = role_tokens(title)
        if not t:
            return RoleMatch.NONE
        if set(role) <= set(t) or self._synonym_in(role, t):
            return RoleMatch.MATCH
        q_occ, t_occ = self._lookup(" ".join(role)), self._lookup(title)
        if q_occ is not None and q_occ == t_occ:
            return RoleMatch.MATCH
        q_head, t_head = head_of(role), head_of(t)
        shared = (set(role) & set(t)) - {q_head}
        if (q_head and q_head == t_head and shared) or _same_isco(q_occ, t_occ, 4):
            return RoleMatch.CLOSE
        if (q_head and q_head == t_head) or shared or _same_isco(q_occ, t_occ, 3):
            return RoleMatch.FAMILY
        return RoleMatch.NONE

    def _synonym_in(self, role: list[str], title_tokens: list[str]) -> bool:
        occ = self._lookup(" ".join(role))
        if occ is None:
            return False
        return any(phrase_in(role_tokens(label), title_tokens) for label in occ.labels)

    def _lookup(self, title: str) -> Occupation | None:
        if self.esco is None:
            return None
        if title not in self._occ:
            self._occ[title] = self.esco.lookup(title)
        return self._occ[title]

    # --- constraints ---------------------------------------------------------------------
    def _checks(self, intent: Intent, facts: ItemFacts, kind: EntityKind) -> list[Check]:
        checks = [_seniority(intent, facts), _location(intent, facts), _company(intent, facts)]
        if intent.role:
            checks.append(_skills(intent, facts))
        if kind is EntityKind.JOB:
            checks += [_remote(intent, facts), self._recency(intent, facts)]
        return [c for c in checks if c is not None]

    def _recency(self, intent: Intent, facts: ItemFacts) -> Check | None:
        if intent.recency_days is None or self.now is None:
            return None
        if facts.posted_at is None:
            return Check(1, "posting date unknown")
        age = (self.now - facts.posted_at).total_seconds() / 86400
        if age <= intent.recency_days:
            return Check(0, f"posted {age:.0f}d ago")
        return Check(2, f"posted {age:.0f}d ago > {intent.recency_days}d")


def _same_isco(a: Occupation | None, b: Occupation | None, digits: int) -> bool:
    return bool(a and b and a.isco and b.isco and a.isco[:digits] == b.isco[:digits])


def _seniority(intent: Intent, facts: ItemFacts) -> Check | None:
    want = intent.seniority_level
    if want is None:
        return None
    have = SENIORITY_LEVELS.get(facts.seniority or "")
    if have is None:
        return Check(0, "seniority unstated")
    gap = abs(want - have)
    return Check(min(gap, 2), f"seniority {facts.seniority} vs {intent.seniority}" if gap else "")


def _location(intent: Intent, facts: ItemFacts) -> Check | None:
    if not intent.location:
        return None
    want = intent.location
    if want in facts.places or phrase_in(tokens(want), tokens(facts.location)):
        return Check(0, f"location {want} ok")
    if not facts.location or facts.location.lower().strip() == "remote":
        return Check(1, "remote, location not confirmed" if facts.remote == "remote" else "location unknown")
    if CITIES.get(want) in facts.places and not facts.places - set(CITIES.values()):
        return Check(1, f"in {CITIES[want]}, city not stated")
    if facts.remote == "remote":
        return Check(1, f"remote from {facts.location}, not {want}")
    return Check(2, f"location {facts.location} not {want}")


def _remote(intent: Intent, facts: ItemFacts) -> Check | None:
    if intent.remote is None:
        return None
    if facts.remote is None:
        return Check(1, "remote policy unknown")
    if facts.remote == intent.remote:
        return Check(0, f"{facts.remote} ok")
    hard = intent.remote == "remote" and facts.remote == "onsite"
    return Check(2 if hard else 1, f"{facts.remote} not {intent.remote}")


def _skills(intent: Intent, facts: ItemFacts) -> Check | None:
    if not intent.skills:
        return None
    missing = [s for s in intent.skills if not facts.has_skill(s)]
    if not missing:
        return Check(0, "skills ok")
    share = len(missing) / len(intent.skills)
    return Check(1 if share <= 0.5 else 2, f"missing {', '.join(missing)}")


def _company(intent: Intent, facts: ItemFacts) -> Check | None:
    if not intent.company:
        return None
    want = tokens(intent.company)
    if facts.company and phrase_in(want, tokens(facts.company)):
        return Check(0, f"company {facts.company} ok")
    return Check(0, f"company {facts.company or 'unknown'} not {intent.company}", cap=1)
