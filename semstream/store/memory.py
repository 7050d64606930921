"""In-memory twin of the vector stores: exact cosine search, the reference write semantics.

Like the Qdrant adapters it stores vectors unit-normalised (cosine collections do) and returns
``_id`` (and ``_event_time`` when known) in hit payloads. It is the reference: its compact reads
are its list reads turned into columns.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from semstream.schemas import Document, EntityKind, Hit
from semstream.store.compact import CompactHits, check_fields, select
from semstream.store.filters import Filter, filter_holds
from semstream.store.protocol import ENTITY_ID_KEY, EVENT_TIME_KEY, WriteResult


class MemoryStore:
    """A dict per kind: entity id -> Document (tombstones included)."""

    def __init__(self) -> None:
        self._docs: dict[EntityKind, dict[str, Document]] = {k: {} for k in EntityKind}
        self._lock = threading.Lock()

    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        self._docs.setdefault(kind, {})

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        result = WriteResult()
        with self._lock:
            for doc in docs:
                current = self._docs[doc.kind].get(doc.id)
                if current is not None and current.version >= doc.version:
                    result.stale += 1
                    continue
                self._docs[doc.kind][doc.id] = _stored(doc)
                result.written += 1
        return result

    def search(
        self,
        kind: EntityKind,
        vector: Sequence[float],
        limit: int,
        flt: Filter | None = None,
        with_vectors: bool = False,
        payload_fields: Sequence[str] | None = None,
    ) -> list[Hit]:
        fields = check_fields(payload_fields)
        live = [d for d in self._live(kind) if filter_holds(flt, d.payload)]
        if not live or limit <= 0:
            return []
        matrix = np.asarray([d.vector for d in live], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        scores = _normalise(matrix) @ _normalise(query[None, :])[0]
        order = np.argsort(-scores, kind="stable")[:limit]
        return [_hit(live[i], float(scores[i]), with_vectors, fields) for i in order]

    def get(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None = None) -> list[Hit]:
        fields = check_fields(payload_fields)
        docs = self._docs[kind]
        return [_hit(docs[i], 0.0, True, fields) for i in ids if i in docs and not docs[i].deleted]

    def search_compact(
        self,
        kind: EntityKind,
        vector: Sequence[float],
        limit: int,
        flt: Filter | None = None,
        with_vectors: bool = False,
        payload_fields: Sequence[str] | None = None,
    ) -> CompactHits:
        return CompactHits.from_hits(self.search(kind, vector, limit, flt, with_vectors, payload_fields), with_vectors)

    def get_compact(
        self,
        kind: EntityKind,
        ids: Sequence[str],
        payload_fields: Sequence[str] | None = None,
        with_vectors: bool = True,
    ) -> CompactHits:
        return CompactHits.from_hits(self.get(kind, ids, payload_fields), with_vectors)

    def count(self, kind: EntityKind) -> int:
        return sum(1 for _ in self._live(kind))

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        docs = self._docs[kind]
        return {i: docs[i].version for i in ids if i in docs}

    def close(self) -> None:
        pass

    def _live(self, kind: EntityKind) -> list[Document]:
        return [d for d in self._docs[kind].values() if not d.deleted]


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _stored(doc: Document) -> Document:
    """``doc`` with its vector unit-normalised, as a cosine collection stores it."""
    if doc.deleted or not doc.vector:
        return doc
    vector = np.asarray(doc.vector, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return doc.model_copy(update={"vector": (vector / norm).tolist()}) if norm > 0 else doc


def _hit(doc: Document, score: float, with_vector: bool, fields: tuple[str, ...] | None) -> Hit:
    payload = {**doc.payload, ENTITY_ID_KEY: doc.id}
    if doc.event_time is not None:
        payload[EVENT_TIME_KEY] = doc.event_time
    return Hit(id=doc.id, score=score, version=doc.version, payload=select(payload, fields, frozenset()),
               vector=doc.vector if with_vector else None)
