"""What a judge reads (a structured query intent) and writes (a 0-4 grade with a rationale)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from semstream.schemas import EntityKind, RemotePolicy

# The documented map from a grade to a soft label P(yes) (POLICY.md, "Soft labels").
P_YES: dict[int, float] = {0: 0.02, 1: 0.15, 2: 0.5, 3: 0.8, 4: 0.97}


class JudgeQuery(BaseModel):
    """A search as the judge sees it: the text plus whatever structured intent is known.

    Free-text queries carry only ``text``; the policy judge then extracts what it can with rules.
    """

    text: str = Field(min_length=1)
    role: str | None = Field(None, description="Wanted role or title, e.g. 'backend engineer'.")
    seniority: str | None = Field(None, description="intern, junior, mid, senior, lead or principal.")
    location: str | None = Field(None, description="City or country, e.g. 'Berlin'.")
    remote: RemotePolicy | None = None
    skills: list[str] = Field(default_factory=list, description="Must-have skills.")
    recency_days: int | None = Field(None, ge=1, description="Posted within this many days (jobs).")
    company: str | None = Field(None, description="Wanted (current) company.")

    def is_structured(self) -> bool:
        """True when any intent field beyond ``text`` is set."""
        return any((self.role, self.seniority, self.location, self.remote, self.skills,
                    self.recency_days, self.company))


class Grade(BaseModel):
    """A judge's verdict on one (query, item) pair."""

    grade: int = Field(ge=0, le=4)
    rationale: str
    p_yes: float = Field(ge=0.0, le=1.0)

    @classmethod
    def of(cls, grade: int, rationale: str) -> Grade:
        """A grade with its documented soft label."""
        return cls(grade=grade, rationale=rationale, p_yes=P_YES[grade])


@runtime_checkable
class Judge(Protocol):
    """Anything that grades (query, item) pairs: the policy judge or an LLM judge."""

    def grade(self, query: JudgeQuery, kind: EntityKind, payload: dict[str, Any]) -> Grade:
        """Grade one item against the query."""
