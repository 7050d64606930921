"""Messages between the serving stages (not part of the HTTP API).

The ingress sends an ``UnderstandRequest`` to query understanding, a ``RetrieveRequest`` to
retrieval and a ``RankRequest`` to ranking; each answers with the model next to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from semstream.models.qu.schema import Facet
from semstream.schemas import EntityKind, Hit
from semstream.store.filters import Filter


class Relaxation(BaseModel):
    """One rung of the fallback when filters match too few: the looser filter and what it dropped."""

    name: str
    flt: Filter


class UnderstandRequest(BaseModel):
    request_id: str = Field("", description="The HTTP request's id, for the stage's log line.")
    kind: EntityKind
    text: str
    explicit: dict[str, Any] = Field(default_factory=dict)
    disabled: list[str] = Field(default_factory=list)


class Understanding(BaseModel):
    original: str
    rewrite: str
    flt: Filter
    facets: list[Facet] = Field(description="Active facets (disabled ones removed).")
    hints: list[str] = Field(default_factory=list)
    relaxations: list[Relaxation] = Field(default_factory=list, description="Fallback order, first dropped first.")
    model: str = "qu"

    def retrieval_text(self) -> str:
        return self.rewrite.strip() or self.original


class RetrieveRequest(BaseModel):
    request_id: str = ""
    kind: EntityKind
    text: str
    flt: Filter = Field(default_factory=Filter)
    k: int = Field(description="Candidates to fetch (K).")
    min_hits: int = Field(1, description="Fewer hits than this triggers the next relaxation.")
    relaxations: list[Relaxation] = Field(default_factory=list)
    ship: int = Field(description="Candidates to hand on (with vectors): the most the ranker may score.")


class Candidate(BaseModel):
    id: str
    version: int
    retrieval_score: float
    tier: int = Field(0, description="0 = matched every filter; i = found after the i-th relaxation.")
    payload: dict[str, Any] = Field(default_factory=dict)
    vector: bytes | None = Field(None, description="float32 bytes: cheap to ship between replicas.")

    @classmethod
    def from_hit(cls, hit: Hit, tier: int, keep_vector: bool) -> Candidate:
        """Built without re-validation: the store already returned a validated Hit."""
        vector = float32_bytes(hit.vector) if keep_vector and hit.vector is not None else None
        return cls.model_construct(id=hit.id, version=hit.version, retrieval_score=hit.score, tier=tier,
                                   payload=hit.payload, vector=vector)

    def vector_list(self) -> list[float] | None:
        return float32_list(self.vector)


def float32_bytes(vector: list[float]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def float32_list(data: bytes | None) -> list[float] | None:
    return None if data is None else np.frombuffer(data, dtype="<f4").tolist()


class Retrieved(BaseModel):
    candidates: list[Candidate]
    total: int = Field(description="Hits found before trimming to ``ship``.")
    relaxed: list[str] = Field(default_factory=list)
    embedder: str = ""
    query_vector: bytes | None = Field(None, description="The vector retrieval searched with (float32 bytes).")
    collapsed: int = Field(0, description="Re-posted duplicates left out of ``candidates``.")


class RankRequest(BaseModel):
    request_id: str = ""
    kind: EntityKind
    text: str
    searcher: dict[str, Any] = Field(default_factory=dict)
    hints: list[str] = Field(default_factory=list)
    candidates: list[Candidate]
    k: int
    query_vector: bytes | None = Field(None, description="Retrieval's query vector (float32 bytes), for MixLM.")


class Ranked(BaseModel):
    """The top ``k`` candidates in answer order with their scores."""

    items: list[Candidate]
    scores: list[float]
    variant: str
    version: str
    degraded: bool = False
    reason: str | None = None
    depth: int = 0
    reused: int = 0
    scored: int = 0
