"""Turn a decoded entity event into the versioned Document the store writes.

The payload keeps every event field (unknown ones too), adds the derived keys that filters use
(see ``semstream/store/fields.py``), normalised the same way query understanding normalises
query facets so filters agree on both sides, the extractive summary the ranker reads and the
facts vector MixLM reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from semstream.models.facts import FACTS_VECTOR_KEY, encode_vector
from semstream.models.item_text import entity_title, item_facts, item_text
from semstream.models.summary import SUMMARY_KEY, summarise
from semstream.schemas import Document, EntityEvent, EntityKind, Op
from semstream.store.protocol import ENTITY_ID_KEY, EVENT_TIME_KEY

from semstream.models.qu.filters import (
    city_key, company_key, country_code, normalise_employment_type, normalise_remote, normalise_seniority,
    normalise_skill, normalise_title,
)


def text_to_embed(kind: EntityKind, event: EntityEvent) -> str:
    """The text the bi-encoder sees for an upsert."""
    return item_text(kind, event.fields())


def facts_to_embed(kind: EntityKind, event: EntityEvent) -> str:
    """The text of an upsert's facts vector (head and skills, see ``models/facts.py``)."""
    return item_facts(kind, event.fields())


def derived_keys(kind: EntityKind, fields: dict[str, Any]) -> dict[str, Any]:
    """Filter keys computed from the raw fields with query understanding's own normalisers."""
    job = kind is EntityKind.JOB
    company = fields.get("company" if job else "current_company")
    location = fields.get("location")
    keys: dict[str, Any] = {
        "company_key": company_key(company) or None,
        "skills_key": sorted({k for k in (normalise_skill(s) for s in fields.get("skills") or [] if s) if k}),
        "city": city_key(location),
        "country": country_code(fields.get("country") or location),
        "occupation": normalise_title(entity_title(kind, fields)),
        "seniority": normalise_seniority(fields.get("seniority")),
    }
    if job:
        keys["remote"] = normalise_remote(fields.get("remote"))
        keys["employment_type"] = normalise_employment_type(fields.get("employment_type"))
        posted = fields.get("posted_at") or fields.get("updated_at")
        keys["posted_ts"] = _unix_seconds(posted) if posted else None
    return {k: v for k, v in keys.items() if v not in (None, [], "")}


def to_document(kind: EntityKind, event: EntityEvent, vector: list[float] | None, event_time: float | None,
                facts_vector: Sequence[float] | None = None) -> Document:
    """An upsert with its vector (and its facts vector in the payload, when given), or a tombstone."""
    if event.op is Op.DELETE:
        return Document(kind=kind, id=event.id, version=event.version, deleted=True, event_time=event_time,
                        payload={ENTITY_ID_KEY: event.id})
    fields = event.fields()
    payload = {**fields, **derived_keys(kind, fields), ENTITY_ID_KEY: event.id,
               SUMMARY_KEY: summarise(kind, fields)}
    if event_time is not None:
        payload[EVENT_TIME_KEY] = event_time
    if facts_vector is not None:
        payload[FACTS_VECTOR_KEY] = encode_vector(facts_vector)
    return Document(kind=kind, id=event.id, version=event.version, vector=vector, payload=payload,
                    event_time=event_time)


def _unix_seconds(value: Any) -> int | None:
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None
