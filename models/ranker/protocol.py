"""The ranking interface the Ranking deployment calls; every ranker variant implements it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from semstream.schemas import EntityKind


class RankItem(BaseModel):
    """One candidate: its id, its payload (text fields) and, when available, its retrieval vector and score."""

    id: str
    payload: dict[str, Any] = Field(default_factory=dict)
    vector: list[float] | None = None
    retrieval_score: float | None = Field(None, description="Query-item cosine from retrieval, when known.")
    facts_vector: list[float] | None = Field(None, description="The bi-encoder over the item's head and skills "
                                             "(ingest keeps it in the payload), when known.")


class RankQuery(BaseModel):
    """The query side of the prompt: free text plus searcher context and soft QU facets."""

    kind: EntityKind
    text: str
    searcher: dict[str, Any] = Field(default_factory=dict)
    hints: list[str] = Field(default_factory=list, description="Soft constraints from QU, e.g. 'prefers remote'.")
    vector: list[float] | None = Field(None, description="The vector retrieval searched with, when known.")


@runtime_checkable
class Ranker(Protocol):
    variant: str  # e.g. "full-text", "prefix-shared", "mixlm"
    version: str  # model directory version

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        """Calibrated P(relevant) per item, in the order given."""
