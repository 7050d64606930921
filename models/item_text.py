"""How an indexed entity reads as text: one rendering for the embedder, the judge and the ranker."""

from __future__ import annotations

from typing import Any

from semstream.schemas import EntityKind

_JOB_HEAD = ("title", "company", "location", "remote", "employment_type", "seniority")
_PROFILE_HEAD = ("headline", "current_title", "current_company", "location", "seniority")


def _line(payload: dict[str, Any], keys: tuple[str, ...]) -> str:
    parts = [str(payload[k]) for k in keys if payload.get(k) not in (None, "", [])]
    return " | ".join(parts)


def entity_title(kind: EntityKind, payload: dict[str, Any]) -> str | None:
    """The title an entity's occupation is read from: a posting's title, a profile's current title or headline."""
    if kind is EntityKind.JOB:
        return payload.get("title")
    return payload.get("current_title") or payload.get("headline")


def item_facts(kind: EntityKind, payload: dict[str, Any]) -> str:
    """The structured head and the skills: what an item states about role, place, seniority and
    skills, without the long text (the bi-encoder's "facts" view of an item)."""
    head = _line(payload, _JOB_HEAD if kind is EntityKind.JOB else _PROFILE_HEAD)
    skills = ", ".join(payload.get("skills") or [])
    return "\n".join(p for p in (head, f"Skills: {skills}" if skills else "") if p)


def item_text(kind: EntityKind, payload: dict[str, Any], max_chars: int | None = None) -> str:
    """Head fields, skills, then the long text; cut to ``max_chars`` if given."""
    if kind is EntityKind.JOB:
        head, body = _line(payload, _JOB_HEAD), payload.get("description") or ""
    else:
        head, body = _line(payload, _PROFILE_HEAD), payload.get("summary") or ""
    skills = ", ".join(payload.get("skills") or [])
    text = "\n".join(p for p in (head, f"Skills: {skills}" if skills else "", body) if p)
    return text[:max_chars] if max_chars else text
