"""The topics semstream uses, their partition counts and which entity kind each carries."""

from __future__ import annotations

from dataclasses import dataclass

from semstream.config import Settings, get_settings
from semstream.schemas import EntityKind

JOBS = "jobs.v1"
PROFILES = "profiles.v1"
DEADLETTER = "deadletter.v1"
ENGAGEMENT = "engagement.v1"

_ENTITY_TOPICS: dict[EntityKind, str] = {EntityKind.JOB: JOBS, EntityKind.PROFILE: PROFILES}


@dataclass(frozen=True)
class Topic:
    """One topic: name, partitions when created, and the entity kind its events carry (None = not entities)."""

    name: str
    partitions: int
    kind: EntityKind | None = None


def all_topics(settings: Settings | None = None) -> list[Topic]:
    """Every topic semstream creates; entity topics get ``settings.topic_partitions`` partitions."""
    s = settings or get_settings()
    return [
        Topic(JOBS, s.topic_partitions, EntityKind.JOB),
        Topic(PROFILES, s.topic_partitions, EntityKind.PROFILE),
        Topic(DEADLETTER, 1),
        Topic(ENGAGEMENT, s.topic_partitions),
    ]


def topic_name(kind: EntityKind) -> str:
    """The topic that carries events of ``kind`` (``jobs.v1`` or ``profiles.v1``)."""
    return _ENTITY_TOPICS[EntityKind(kind)]


def topic_for(kind: EntityKind, settings: Settings | None = None) -> Topic:
    """The :class:`Topic` that carries events of ``kind``."""
    name = topic_name(kind)
    return next(t for t in all_topics(settings) if t.name == name)


def kind_of(topic: str) -> EntityKind | None:
    """The entity kind carried by ``topic``, or None if it carries no entity events."""
    return next((k for k, name in _ENTITY_TOPICS.items() if name == topic), None)


def entity_topics() -> list[str]:
    """Names of the topics the ingest workers consume."""
    return list(_ENTITY_TOPICS.values())
