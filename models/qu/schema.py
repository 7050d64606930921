"""The query-understanding output schema (versioned); returned in every search response."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from semstream.schemas import EntityKind, RemotePolicy

QU_SCHEMA_VERSION = "qu.v1"


class Facet(BaseModel):
    """One understood piece of the query; hard facets become store filters, soft ones ranker hints."""

    name: str = Field(description="e.g. location, remote, seniority, occupation, skill, company, recency")
    value: str
    hard: bool = Field(True, description="True = applied as a filter; False = passed to the ranker only.")
    negated: bool = False
    span: str | None = Field(None, description="The query text it came from.")
    keys: list[str] = Field(
        default_factory=list,
        description="Payload values this facet stands for when more than ``value`` (a region's cities, the EU's countries).",
    )

    def payload_values(self) -> list[str]:
        return self.keys or [self.value]


class ParsedQuery(BaseModel):
    schema_version: Literal["qu.v1"] = QU_SCHEMA_VERSION
    kind: EntityKind
    original: str
    rewrite: str = Field(description="Free text left for semantic retrieval.")
    occupation: str | None = Field(None, description="ESCO preferred label of the normalised role.")
    occupation_candidates: list[str] = Field(default_factory=list)
    seniority: str | None = None
    city: str | None = None
    country: str | None = None
    remote: RemotePolicy | None = None
    posted_within_days: int | None = None
    employment_type: str | None = None
    company: str | None = None
    skills: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list, description="Negated terms, e.g. 'crypto'.")
    salary_hint: str | None = None
    facets: list[Facet] = Field(default_factory=list)
    # Added in qu.v1 without breaking readers (all optional):
    posted_after_ts: int | None = Field(None, description="Unix seconds; recency as a lower bound on posted_ts.")
    min_years_experience: int | None = None
    open_to_work: bool | None = None
    ranker_hints: list[str] = Field(default_factory=list, description="Soft facets rendered for the ranker's prompt.")
    parser: str = Field("rules", description="rules | rules+tagger | llm: what produced this parse.")
