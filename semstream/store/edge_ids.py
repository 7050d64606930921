"""Entity id and version of every point of an Edge shard, held in the owning process.

Point ids are UUIDv5 of (kind, entity id): a search that reads no payload returns point ids only,
and turning them back into entity ids would otherwise mean reading each hit's payload. Qdrant Edge
(0.9) decodes a point's whole stored payload even when one key is asked for, which made the
payload read most of a top-1000 search (20k real postings: ≈25 ms reading only ``_id`` and
``_version``, ≈4 ms reading no payload). So the store keeps this directory.

It stays exact because one process owns a shard directory (the store's flock) and every write
goes through that store: the directory is built from a scan on first use, then updated after
each successful conditional upsert. A write that fails drops it (rebuilt on next use). A point
found but not (yet) in it is resolved from its payload. Memory: ≈250 bytes per point.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence

import qdrant_edge as qe

from semstream.ids import point_id
from semstream.schemas import Document, EntityKind
from semstream.store import points
from semstream.store.protocol import DELETED_KEY, ENTITY_ID_KEY, VERSION_KEY

_SCAN_PAGE = 2048
_KEYS = qe.PayloadSelector.Include([ENTITY_ID_KEY, VERSION_KEY, DELETED_KEY])
Entry = tuple[str, int]  # (entity id, version)


class PointDirectory:
    """Point id -> (entity id, version) per entity kind, tombstones included."""

    def __init__(self, write_lock: threading.RLock) -> None:
        self._maps: dict[EntityKind, dict[uuid.UUID, Entry]] = {}
        self._lock = write_lock  # the store's: no write can land between a scan and its publication

    def record(self, kind: EntityKind, docs: Iterable[Document]) -> None:
        """Documents the engine has just accepted (the caller holds the write lock)."""
        entries = self._maps.get(kind)
        if entries is None:
            return
        for doc in docs:  # the engine's own condition: a stored point is replaced only by a newer version
            key = uuid.UUID(point_id(kind, doc.id))
            current = entries.get(key)
            if current is None or current[1] < doc.version:
                entries[key] = (doc.id, doc.version)

    def forget(self, kind: EntityKind) -> None:
        """Drop the directory of ``kind`` (after a failed write); the next lookup rebuilds it."""
        self._maps.pop(kind, None)

    def resolve(self, kind: EntityKind, shard: qe.EdgeShard, found: Sequence[uuid.UUID]) -> list[Entry | None]:
        """(entity id, version) per point id; None for a point that is not a live entity."""
        entries = self._entries(kind, shard)
        resolved = [entries.get(p) for p in found]
        missing = [p for p, e in zip(found, resolved) if e is None]
        if missing:
            late = _read_entries(shard, missing, live_only=True)
            resolved = [e if e is not None else late.get(p) for p, e in zip(found, resolved)]
        return resolved

    def _entries(self, kind: EntityKind, shard: qe.EdgeShard) -> dict[uuid.UUID, Entry]:
        entries = self._maps.get(kind)
        if entries is None:
            with self._lock:
                entries = self._maps.get(kind)
                if entries is None:
                    entries = _scan(shard)
                    self._maps[kind] = entries
        return entries


def _scan(shard: qe.EdgeShard) -> dict[uuid.UUID, Entry]:
    """Every point's (entity id, version), reading only those payload keys."""
    entries: dict[uuid.UUID, Entry] = {}
    offset = None
    while True:
        records, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=_SCAN_PAGE, with_payload=_KEYS,
                                                        with_vector=False))
        entries.update(_entries_of(records, live_only=False))
        if offset is None or not records:
            return entries


def _read_entries(shard: qe.EdgeShard, ids: Sequence[uuid.UUID], live_only: bool) -> dict[uuid.UUID, Entry]:
    return dict(_entries_of(shard.retrieve(list(ids), _KEYS, False), live_only))


def _entries_of(records: Iterable[qe.Record], live_only: bool) -> Iterable[tuple[uuid.UUID, Entry]]:
    for record in records:
        pair = points.stored_version(record.payload)
        if pair is not None and (not live_only or points.is_live(record.payload)):
            yield record.id, pair
