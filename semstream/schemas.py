"""Event and document schemas shared by producers, ingest actors, stores and serving.

Events (DESIGN §4): key = entity id; value = JSON
``{op: "upsert"|"delete", id, version, updated_at, fields...}``. Unknown fields are kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
RemotePolicy = Literal["remote", "hybrid", "onsite"]


class EntityKind(str, Enum):
    JOB = "job"
    PROFILE = "profile"

    @property
    def collection(self) -> str:
        """The vector-store collection that holds this kind."""
        return {"job": "jobs", "profile": "people"}[self.value]


class Op(str, Enum):
    UPSERT = "upsert"
    DELETE = "delete"


class EntityEvent(BaseModel):
    """Fields common to every entity event; extra fields are kept in the payload."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    op: Op
    id: EntityId
    version: int = Field(ge=0, description="Monotonic per entity; higher wins.")
    updated_at: datetime | None = None

    def fields(self) -> dict[str, Any]:
        """Everything but the envelope, JSON-ready (unknown fields included)."""
        return self.model_dump(mode="json", exclude={"op", "id", "version"}, exclude_none=True)


class JobEvent(EntityEvent):
    """A job posting. Only ``op``, ``id`` and ``version`` are required (deletes carry nothing else)."""

    title: str | None = None
    company: str | None = None
    location: str | None = None
    country: str | None = None
    remote: RemotePolicy | None = None
    employment_type: str | None = None
    seniority: str | None = None
    skills: list[str] = Field(default_factory=list)
    salary: str | None = None
    description: str | None = None
    posted_at: datetime | None = None
    source: str | None = None


class ProfileEvent(EntityEvent):
    """A member profile (synthetic in the demo data; labelled so in ``source``)."""

    name: str | None = None
    headline: str | None = None
    current_title: str | None = None
    current_company: str | None = None
    location: str | None = None
    country: str | None = None
    seniority: str | None = None
    years_experience: int | None = Field(None, ge=0, le=80)
    skills: list[str] = Field(default_factory=list)
    summary: str | None = None
    open_to_work: bool | None = None
    source: str | None = None


EVENT_MODELS: dict[EntityKind, type[EntityEvent]] = {EntityKind.JOB: JobEvent, EntityKind.PROFILE: ProfileEvent}


class Document(BaseModel):
    """What an ingest worker hands to the store: one versioned upsert or tombstone."""

    kind: EntityKind
    id: str
    version: int
    deleted: bool = False
    vector: list[float] | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    event_time: float | None = Field(None, description="Unix seconds the event was produced, for freshness.")


class Hit(BaseModel):
    """One search result from the store."""

    id: str
    score: float
    version: int
    payload: dict[str, Any]
    vector: list[float] | None = None
