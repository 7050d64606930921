"""The one interface every vector store adapter implements.

Write semantics (DESIGN §4), identical in every adapter:

* A document is written only if its ``version`` is newer than the stored one (or none is stored).
* A delete writes a tombstone that keeps the version, so an older replayed upsert cannot
  resurrect the entity; tombstones never appear in search, get or count.
* ``apply`` returns only after the store has durably accepted the batch.

Reads take ``payload_fields`` (None = the whole payload; a sequence = only those keys, ``()`` =
none; see ``semstream/store/compact.py``): a top-1000 search that needs ids and scores should not
pay for turning 1000 long payloads into Python objects. The ``*_compact`` reads return the same
hits as columns (:class:`CompactHits`), cheap to ship between processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from semstream.schemas import Document, EntityKind, Hit
from semstream.store.compact import CompactHits
from semstream.store.filters import Filter

# Payload keys the store itself maintains.
VERSION_KEY = "_version"
DELETED_KEY = "_deleted"
ENTITY_ID_KEY = "_id"
EVENT_TIME_KEY = "_event_time"


class WriteResult(BaseModel):
    """How many documents of a batch changed the index, and how many were stale."""

    written: int = 0
    stale: int = 0


@runtime_checkable
class VectorStore(Protocol):
    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        """Create the collection for ``kind`` (idempotent) with payload indexes on filter fields."""

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        """Version-guarded upserts and tombstones; durable when it returns."""

    def search(
        self,
        kind: EntityKind,
        vector: Sequence[float],
        limit: int,
        flt: Filter | None = None,
        with_vectors: bool = False,
        payload_fields: Sequence[str] | None = None,
    ) -> list[Hit]:
        """Nearest live documents by cosine similarity, best first."""

    def get(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None = None) -> list[Hit]:
        """Live documents by entity id, with vectors (missing and deleted ones are left out); score is 0."""

    def search_compact(
        self,
        kind: EntityKind,
        vector: Sequence[float],
        limit: int,
        flt: Filter | None = None,
        with_vectors: bool = False,
        payload_fields: Sequence[str] | None = None,
    ) -> CompactHits:
        """``search`` as columns."""

    def get_compact(
        self,
        kind: EntityKind,
        ids: Sequence[str],
        payload_fields: Sequence[str] | None = None,
        with_vectors: bool = True,
    ) -> CompactHits:
        """``get`` as columns, in request order; vectors only when ``with_vectors``."""

    def count(self, kind: EntityKind) -> int:
        """Number of live documents."""

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        """Stored version per entity id, tombstones included (for replay checks and tests)."""

    def close(self) -> None:
        """Flush and release resources."""
