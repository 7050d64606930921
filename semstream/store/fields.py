"""Payload fields that filters use, per entity kind, with the index type each needs."""

from typing import Literal

from semstream.schemas import EntityKind

IndexType = Literal["keyword", "integer", "float", "bool"]

FILTER_FIELDS: dict[EntityKind, dict[str, IndexType]] = {
    EntityKind.JOB: {
        "remote": "keyword",
        "country": "keyword",
        "city": "keyword",
        "seniority": "keyword",
        "employment_type": "keyword",
        "company_key": "keyword",
        "skills_key": "keyword",
        "occupation": "keyword",
        "posted_ts": "integer",
        "source": "keyword",
    },
    EntityKind.PROFILE: {
        "country": "keyword",
        "city": "keyword",
        "seniority": "keyword",
        "company_key": "keyword",
        "skills_key": "keyword",
        "occupation": "keyword",
        "years_experience": "integer",
        "open_to_work": "bool",
    },
}
