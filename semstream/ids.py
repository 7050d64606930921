"""Deterministic point ids: the same (kind, entity id) always maps to the same point."""

import uuid

from semstream.schemas import EntityKind

_NAMESPACE = uuid.UUID("5e3a5f1e-7d1c-4c3e-9a59-2f0c6d5b7a10")


def point_id(kind: EntityKind, entity_id: str) -> str:
    """A UUIDv5 string for the entity; stable across processes, stores and restarts."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind.value}:{entity_id}"))
