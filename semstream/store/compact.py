"""Columnar search results: what crosses process boundaries instead of lists of ``Hit`` models.

A ``CompactHits`` holds ids, scores and versions as columns, vectors as one float32 matrix and
only the payload keys the caller asked for. Pickling it (Ray does, between the index owner and a
retrieval replica) costs a few buffers instead of one pydantic model and 384 Python floats per
hit. ``to_hits()`` turns it back into the ``Hit`` list the ``VectorStore.search`` contract returns.

Payload selection (``payload_fields``), the same in every adapter:

* ``None``: the whole visible payload (store keys ``_id`` and ``_event_time`` included);
* a sequence of keys: only those keys, where the document has them (``()`` = no payload at all).

A hit's id, score and version are always set, whatever the selection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from semstream.errors import StoreError
from semstream.schemas import EntityKind, Hit
from semstream.store.filters import Filter

PayloadFields = Sequence[str] | None


@dataclass(frozen=True, eq=False)
class CompactHits:
    """Hits as columns, best first for a search, request order for a get."""

    ids: list[str]
    scores: np.ndarray  # float32, shape (n,)
    versions: np.ndarray  # int64, shape (n,)
    payloads: list[dict[str, Any]]  # one per hit; {} when no keys were asked for
    vectors: np.ndarray | None = None  # float32, shape (n, dim), unit length

    def __post_init__(self) -> None:
        n = len(self.ids)
        sizes = (len(self.scores), len(self.versions), len(self.payloads))
        if any(size != n for size in sizes) or (self.vectors is not None and len(self.vectors) != n):
            raise StoreError(f"CompactHits columns disagree: {n} ids, (scores, versions, payloads) = {sizes}")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, float, int, dict[str, Any]]],
              vectors: Sequence[Any] | None = None) -> CompactHits:
        """From (id, score, version, payload) rows and, optionally, one vector per row."""
        rows = list(rows)
        return cls(
            ids=[r[0] for r in rows],
            scores=np.fromiter((r[1] for r in rows), dtype=np.float32, count=len(rows)),
            versions=np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows)),
            payloads=[r[3] for r in rows],
            vectors=None if vectors is None else as_matrix(vectors),
        )

    @classmethod
    def empty(cls, with_vectors: bool) -> CompactHits:
        return cls.build([], [] if with_vectors else None)

    @classmethod
    def from_hits(cls, hits: Sequence[Hit], with_vectors: bool) -> CompactHits:
        rows = ((h.id, h.score, h.version, h.payload) for h in hits)
        return cls.build(rows, [h.vector for h in hits] if with_vectors else None)

    def to_hits(self) -> list[Hit]:
        """The ``Hit`` models of the list-returning API (built without re-validation)."""
        vectors = self.vectors.tolist() if self.vectors is not None else [None] * len(self)
        return [Hit.model_construct(id=i, score=s, version=v, payload=p, vector=vec)
                for i, s, v, p, vec in zip(self.ids, self.scores.tolist(), self.versions.tolist(),
                                             self.payloads, vectors)]

    def vector_bytes(self, row: int) -> bytes | None:
        """Row ``row``'s vector as little-endian float32 bytes (what serving stages ship)."""
        return None if self.vectors is None else self.vectors[row].astype("<f4", copy=False).tobytes()


def as_matrix(vectors: Sequence[Any]) -> np.ndarray:
    """Vectors as one float32 matrix; rows without a vector would be a bug, so they are refused."""
    if any(v is None for v in vectors):
        raise StoreError("a hit asked for with its vector came back without one")
    if not len(vectors):
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)


def check_fields(fields: PayloadFields) -> tuple[str, ...] | None:
    """``fields`` as a tuple (None stays None); a bare string is refused, it is not a field list."""
    if fields is None:
        return None
    if isinstance(fields, str):
        raise StoreError(f"payload_fields must be a sequence of keys, got the string {fields!r}")
    return tuple(fields)


def select(payload: Mapping[str, Any], fields: tuple[str, ...] | None, hidden: frozenset[str]) -> dict[str, Any]:
    """The visible part of ``payload`` narrowed to ``fields`` (None = every visible key)."""
    if fields is None:
        return {k: v for k, v in payload.items() if k not in hidden}
    return {k: payload[k] for k in fields if k in payload and k not in hidden}


class HitReads:
    """``search`` and ``get`` as lists of Hits, for stores whose native reads are the compact ones."""

    def search(
        self,
        kind: EntityKind,
        vector: Sequence[float],
        limit: int,
        flt: Filter | None = None,
        with_vectors: bool = False,
        payload_fields: Sequence[str] | None = None,
    ) -> list[Hit]:
        return self.search_compact(kind, vector, limit, flt, with_vectors, payload_fields).to_hits()  # type: ignore[attr-defined]

    def get(self, kind: EntityKind, ids: Sequence[str], payload_fields: Sequence[str] | None = None) -> list[Hit]:
        return self.get_compact(kind, ids, payload_fields).to_hits()  # type: ignore[attr-defined]
