"""How documents become Qdrant points, shared by the Qdrant adapters (Edge and server).

* Payload layout: the document's payload plus the store keys ``_id``, ``_version``,
  ``_deleted`` and (when known) ``_event_time``. Hits return the payload without
  ``_version``/``_deleted`` (the version is ``Hit.version``; hits are never deleted).
* A tombstone is a point with only the store keys and a fixed unit vector.
* The version guard: :func:`plan_writes` replays a batch against the stored versions exactly as
  applying it one document at a time would, so ``WriteResult`` matches the in-memory reference;
  the engines then write the winners with a condition "stored ``_version`` < new version".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from semstream.errors import StoreError
from semstream.schemas import Document, EntityKind
from semstream.store.compact import CompactHits, select
from semstream.store.fields import FILTER_FIELDS, IndexType
from semstream.store.protocol import DELETED_KEY, ENTITY_ID_KEY, EVENT_TIME_KEY, VERSION_KEY, WriteResult

# Qdrant compares payload numbers with float (f64) range bounds: above 2**53 consecutive
# versions become indistinguishable, so the guard refuses them instead of mis-ordering writes.
MAX_VERSION = 2**53

# Keys the store adds that hits leave out.
HIDDEN_KEYS = frozenset({VERSION_KEY, DELETED_KEY})


def index_fields(kind: EntityKind) -> dict[str, IndexType]:
    """Every payload index a collection of ``kind`` gets: the filter fields plus the store keys."""
    return {**FILTER_FIELDS[kind], VERSION_KEY: "integer", DELETED_KEY: "bool", ENTITY_ID_KEY: "keyword"}


def by_kind(docs: Iterable[Document]) -> dict[EntityKind, list[Document]]:
    """Documents grouped by kind, batch order kept within each kind."""
    groups: dict[EntityKind, list[Document]] = defaultdict(list)
    for doc in docs:
        groups[doc.kind].append(doc)
    return dict(groups)


def apply_by_kind(docs: Iterable[Document], apply_kind: Callable[[EntityKind, list[Document]], WriteResult]) -> WriteResult:
    """Run ``apply_kind`` once per entity kind in ``docs`` and add up the results."""
    total = WriteResult()
    for kind, group in by_kind(docs).items():
        result = apply_kind(kind, group)
        total.written += result.written
        total.stale += result.stale
    return total


def validate(docs: Sequence[Document], dim: int | None) -> None:
    """Refuse a batch before writing any of it; the message names the offending document."""
    for doc in docs:
        if not 0 <= doc.version <= MAX_VERSION:
            raise StoreError(f"{doc.kind.value} {doc.id!r}: version {doc.version} outside 0..2**53")
        if doc.deleted:
            continue
        if doc.vector is None:
            raise StoreError(f"{doc.kind.value} {doc.id!r}: an upsert needs a vector")
        if dim is not None and len(doc.vector) != dim:
            raise StoreError(
                f"{doc.kind.value} {doc.id!r}: vector has {len(doc.vector)} dimensions, collection has {dim}"
            )


def plan_writes(docs: Sequence[Document], stored: Mapping[str, int]) -> tuple[list[Document], WriteResult]:
    """The newest document per id where newer than ``stored``, and the counts of one-by-one replay."""
    current = dict(stored)
    winners: dict[str, Document] = {}
    result = WriteResult()
    for doc in docs:
        if doc.id in current and current[doc.id] >= doc.version:
            result.stale += 1
            continue
        current[doc.id] = doc.version
        winners[doc.id] = doc
        result.written += 1
    return list(winners.values()), result


def by_version(docs: Iterable[Document]) -> dict[int, list[Document]]:
    """Documents grouped by version: each group is one conditional upsert."""
    groups: dict[int, list[Document]] = defaultdict(list)
    for doc in docs:
        groups[doc.version].append(doc)
    return dict(groups)


def point_payload(doc: Document) -> dict[str, Any]:
    """What the engine stores for ``doc`` (a tombstone keeps only the store keys)."""
    payload: dict[str, Any] = {} if doc.deleted else dict(doc.payload)
    payload.update({ENTITY_ID_KEY: doc.id, VERSION_KEY: doc.version, DELETED_KEY: doc.deleted})
    if doc.event_time is not None:
        payload[EVENT_TIME_KEY] = doc.event_time
    return payload


def point_vector(doc: Document, dim: int) -> list[float]:
    """The document's vector, or for a tombstone a fixed unit vector (cosine needs a non-zero one)."""
    if doc.deleted or doc.vector is None:
        return [1.0] + [0.0] * (dim - 1)
    return doc.vector


def is_live(payload: Mapping[str, Any] | None) -> bool:
    return bool(payload) and payload.get(DELETED_KEY) is not True and ENTITY_ID_KEY in payload


def read_keys(fields: tuple[str, ...] | None) -> list[str] | None:
    """Payload keys to read for a selection: the asked ones plus the store keys a hit is built from."""
    return None if fields is None else [*dict.fromkeys([*fields, ENTITY_ID_KEY, VERSION_KEY, DELETED_KEY])]


def compact_scored(found: Iterable[Any], fields: tuple[str, ...] | None, with_vectors: bool) -> CompactHits:
    """Columns from engine search results (each with ``payload``, ``score``, ``vector``); tombstones dropped."""
    live = [p for p in found if is_live(p.payload)]
    rows = ((p.payload[ENTITY_ID_KEY], p.score, int(p.payload.get(VERSION_KEY, 0)),
             select(p.payload, fields, HIDDEN_KEYS)) for p in live)
    return CompactHits.build(rows, [p.vector for p in live] if with_vectors else None)


def compact_records(records: Iterable[Any], ids: Sequence[str], fields: tuple[str, ...] | None,
                    with_vectors: bool) -> CompactHits:
    """Columns from engine records, in the order of ``ids`` (missing and deleted ones left out)."""
    live = {r.payload[ENTITY_ID_KEY]: r for r in records if is_live(r.payload)}
    found = [live[i] for i in ids if i in live]
    rows = ((r.payload[ENTITY_ID_KEY], 0.0, int(r.payload.get(VERSION_KEY, 0)),
             select(r.payload, fields, HIDDEN_KEYS)) for r in found)
    return CompactHits.build(rows, [r.vector for r in found] if with_vectors else None)


def stored_version(payload: Mapping[str, Any] | None) -> tuple[str, int] | None:
    """(entity id, version) of a stored point, tombstones included; None for foreign points."""
    if not payload or ENTITY_ID_KEY not in payload or VERSION_KEY not in payload:
        return None
    return str(payload[ENTITY_ID_KEY]), int(payload[VERSION_KEY])
