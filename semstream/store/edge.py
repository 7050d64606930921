"""The embedded vector store: one Qdrant Edge shard per entity kind, in this process.

Layout: ``root/<kind.collection>/`` holds a shard (segments + WAL); ``root/.lock`` is held with an
exclusive ``flock`` for the life of the store, so exactly one process owns the directory.

Durability: every shard runs with its write-ahead log on. ``apply`` returns after the engine has
appended the batch to the WAL, so a crash of the process loses nothing (tested by killing a
writer without closing it). Flushing segments (every payload index included) after each batch
costs half the write throughput or more (``benchmarks/store_latency.py``: 5.8k -> 3.0k docs/s,
far worse under I/O contention), so it is opt-in (``sync=True``) for hosts that must also survive
power loss; ``close()`` and ``flush()`` flush too.

``purge_deleted()`` rewrites every shard with only its current points: a tombstone hides a deleted
entity, but its old bytes stay in the WAL and segment pages until then (``edge_purge.py``).

``maintain()`` builds HNSW graphs and merges segments. It holds the interpreter lock for its
whole run (tens of seconds at 50k points), stalling every thread of the owning process: call it
off the hot path (at start-up after a bulk load, or in a quiet period). Until it runs, search is
exact over plain segments, which stays fast at tens of thousands of points.

Reads: a search asking for no payload (``payload_fields=()``) reads none at all and takes entity
ids and versions from the in-process :class:`PointDirectory` (``edge_ids.py``); any other
selection reads the payload keys asked for plus the store keys.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import qdrant_edge as qe

from semstream.errors import SemstreamError
from semstream.ids import point_id
from semstream.schemas import Document, EntityKind
from semstream.store import edge_purge, points
from semstream.store.compact import CompactHits, HitReads, check_fields
from semstream.store.edge_ids import PointDirectory
from semstream.store.exceptions import CollectionMissing, StoreClosed, StoreError, StoreLocked
from semstream.store.filters import Condition, Filter, Match, MatchAny
from semstream.store.protocol import DELETED_KEY, ENTITY_ID_KEY, VERSION_KEY, WriteResult

LOCK_FILE = ".lock"
_SCHEMA = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
}


class EdgeStore(HitReads):
    """``VectorStore`` over Qdrant Edge shards under ``root`` (cosine distance)."""

    def __init__(self, root: Path, *, exact: bool = False, sync: bool = False) -> None:
        self.root = Path(root)
        self.exact = exact  # True: exact search even where an HNSW graph exists
        self._sync = sync
        self._lock_file: IO[str] | None = _acquire_lock(self.root)
        self._shards: dict[EntityKind, qe.EdgeShard] = {}
        self._dims: dict[EntityKind, int] = {}
        self._mutex = threading.RLock()
        self._directory = PointDirectory(self._mutex)

    def __repr__(self) -> str:
        return f"EdgeStore(root={str(self.root)!r}, exact={self.exact})"

    def __enter__(self) -> EdgeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- collections -------------------------------------------------------------------

    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        with self._mutex:
            shard = self._open(kind, dim)
            with _engine_errors(f"indexing {kind.collection}"):
                _create_indexes(shard, kind)

    def _open(self, kind: EntityKind, dim: int) -> qe.EdgeShard:
        shard = self._loaded(kind)
        if shard is not None:
            if self._dims.get(kind) not in (None, dim):
                raise StoreError(f"{kind.collection} holds {self._dims[kind]}-d vectors, asked for {dim}-d")
            return shard
        with _engine_errors(f"creating {self._path(kind)} with {dim}-d vectors"):
            shard = qe.EdgeShard.create(str(self._path(kind)), _config(dim))
        self._shards[kind], self._dims[kind] = shard, dim
        return shard

    def _loaded(self, kind: EntityKind) -> qe.EdgeShard | None:
        """The shard of ``kind``, loading it from disk on first use; None if it was never created."""
        with self._mutex:
            if self._lock_file is None:
                raise StoreClosed(f"{self!r} is closed")
            if kind in self._shards:
                return self._shards[kind]
            path = self._path(kind)
            with _engine_errors(f"recovering {path} from an interrupted purge"):
                edge_purge.recover(path)
            if not edge_purge.is_shard(path):
                return None
            with _engine_errors(f"loading {path}"):
                self._shards[kind] = qe.EdgeShard.load(str(path))
            dim = _configured_dim(path)
            if dim is not None:
                self._dims[kind] = dim
            return self._shards[kind]

    def _path(self, kind: EntityKind) -> Path:
        return self.root / kind.collection

    # --- writes --------------------------------------------------------------------------

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        with self._mutex:
            return points.apply_by_kind(docs, self._apply_kind)

    def _apply_kind(self, kind: EntityKind, docs: list[Document]) -> WriteResult:
        shard = self._loaded(kind)
        if shard is None:
            raise CollectionMissing(f"collection {kind.collection!r} does not exist; call ensure_collection first")
        dim = self._dims.get(kind)
        if dim is None:
            raise StoreError(f"vector size of {self._path(kind)} unknown (edge_config.json unreadable)")
        points.validate(docs, dim)
        stored = self._versions(shard, kind, {d.id for d in docs})
        winners, result = points.plan_writes(docs, stored)
        try:
            self._write(kind, shard, winners, dim)
        except BaseException:
            self._directory.forget(kind)  # some groups may be in, some not: rebuild on next use
            raise
        return result

    def _write(self, kind: EntityKind, shard: qe.EdgeShard, winners: list[Document], dim: int) -> None:
        with _engine_errors(f"writing to {kind.collection}"):
            for version, group in points.by_version(winners).items():
                batch = [_point(kind, d, dim) for d in group]
                # Conditional upsert: existing points are replaced only if their _version is
                # lower; points that do not exist yet are inserted regardless (verified in the
                # contract tests). The read above makes the counts exact, the condition keeps
                # the guard in the engine itself.
                shard.update(qe.UpdateOperation.upsert_points(batch, condition=_older_than(version)))
                self._directory.record(kind, group)
            if self._sync and winners:
                shard.flush()

    # --- reads ---------------------------------------------------------------------------



    def search_compact(
        self,
        kind: EntityKind,
        vector: Sequence[float],
        limit: int,
        flt: Filter | None = None,
        with_vectors: bool = False,
        payload_fields: Sequence[str] | None = None,
    ) -> CompactHits:
        fields = check_fields(payload_fields)
        shard = self._loaded(kind)
        if shard is None or limit <= 0:
            return CompactHits.empty(with_vectors)
        request = qe.QueryRequest(
            limit=limit,
            query=qe.Query.Nearest([float(x) for x in vector]),
            filter=live_filter(flt),
            with_payload=_selector(fields),
            with_vector=with_vectors,
            params=qe.SearchParams(exact=True) if self.exact else None,
        )
        with _engine_errors(f"searching {kind.collection}"):
            found = shard.query(request)
            if fields != ():
                return points.compact_scored(found, fields, with_vectors)
            entries = self._directory.resolve(kind, shard, [p.id for p in found])
        kept = [(p, e) for p, e in zip(found, entries) if e is not None]
        rows = ((e[0], p.score, e[1], {}) for p, e in kept)
        return CompactHits.build(rows, [p.vector for p, _ in kept] if with_vectors else None)

    def get_compact(
        self,
        kind: EntityKind,
        ids: Sequence[str],
        payload_fields: Sequence[str] | None = None,
        with_vectors: bool = True,
    ) -> CompactHits:
        fields = check_fields(payload_fields)
        shard = self._loaded(kind)
        if shard is None or not ids:
            return CompactHits.empty(with_vectors)
        with _engine_errors(f"reading {kind.collection}"):
            records = shard.retrieve([point_id(kind, i) for i in dict.fromkeys(ids)], _selector(fields, store_keys=True),
                                     with_vectors)
        return points.compact_records(records, ids, fields, with_vectors)

    def count(self, kind: EntityKind) -> int:
        shard = self._loaded(kind)
        if shard is None:
            return 0
        with _engine_errors(f"counting {kind.collection}"):
            return shard.count(qe.CountRequest(exact=True, filter=live_filter(None)))

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        shard = self._loaded(kind)
        return {} if shard is None else self._versions(shard, kind, set(ids))

    def _versions(self, shard: qe.EdgeShard, kind: EntityKind, ids: set[str]) -> dict[str, int]:
        if not ids:
            return {}
        keys = qe.PayloadSelector.Include([ENTITY_ID_KEY, VERSION_KEY])
        with _engine_errors(f"reading versions from {kind.collection}"):
            records = shard.retrieve([point_id(kind, i) for i in ids], keys, False)
        pairs = (points.stored_version(r.payload) for r in records)
        return dict(p for p in pairs if p is not None)

    # --- upkeep --------------------------------------------------------------------------

    def maintain(self) -> bool:
        """Build HNSW graphs and merge segments of every shard; slow and blocking (see module doc)."""
        changed = False
        for kind in EntityKind:
            shard = self._loaded(kind)
            if shard is not None:
                with _engine_errors(f"optimizing {kind.collection}"):
                    changed = shard.optimize() or changed
        return changed

    def purge_deleted(self) -> dict[str, int]:
        """Rewrite every shard with only its current points, so no deleted entity's data stays on disk.

        Live points keep their vectors and payloads; tombstones keep only the store keys. Slow and
        blocking like ``maintain()`` (every point is read and written again). A read already running
        on an old shard when it is swapped fails with StoreError. Returns points kept per collection.
        """
        with self._mutex:
            kept: dict[str, int] = {}
            for kind in EntityKind:
                shard = self._loaded(kind)
                if shard is not None:
                    kept[kind.collection] = self._purge(kind, shard)
            return kept

    def _purge(self, kind: EntityKind, shard: qe.EdgeShard) -> int:
        """Copy, close the old shard, swap the directories (order in ``edge_purge.py``), reload."""
        dim = self._dims.get(kind)
        if dim is None:
            raise StoreError(f"vector size of {self._path(kind)} unknown (edge_config.json unreadable)")
        with _engine_errors(f"purging {kind.collection}"):
            kept = _rewrite(kind, shard, self._path(kind), dim)
            self._shards.pop(kind)
            self._directory.forget(kind)
            shard.flush()
            shard.close()
            edge_purge.swap(self._path(kind))
        self._loaded(kind)
        return kept

    def flush(self) -> None:
        """Write every shard's segments to disk."""
        with self._mutex, _engine_errors("flushing"):
            for shard in self._shards.values():
                shard.flush()

    def close(self) -> None:
        """Flush and close every shard, then release the directory lock (idempotent)."""
        with self._mutex:
            if self._lock_file is None:
                return
            try:
                with _engine_errors("closing"):
                    for shard in self._shards.values():
                        shard.flush()
                        shard.close()
            finally:
                self._shards.clear()
                self._lock_file.close()  # closing the file releases the flock
                self._lock_file = None


# --- helpers ---------------------------------------------------------------------------------


def _acquire_lock(root: Path) -> IO[str]:
    """Open ``root/.lock`` and hold an exclusive flock on it, or raise StoreLocked naming the path."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the store's lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise StoreLocked(f"embedded store {root} is in use (lock {path} held by pid {holder})") from e
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _config(dim: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(vectors=qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine))


def _create_indexes(shard: qe.EdgeShard, kind: EntityKind) -> None:
    """Every payload index of ``kind`` the shard lacks."""
    existing = set(shard.info().payload_schema)
    for field, index_type in points.index_fields(kind).items():
        if field not in existing:
            shard.update(qe.UpdateOperation.create_field_index(field, _SCHEMA[index_type]))


def _rewrite(kind: EntityKind, shard: qe.EdgeShard, path: Path, dim: int) -> int:
    """Build the purged copy of ``shard`` next to ``path`` (indexed, flushed, closed); points copied."""
    copy = qe.EdgeShard.create(str(edge_purge.fresh_tmp(path)), _config(dim))
    try:
        _create_indexes(copy, kind)
        kept = edge_purge.copy_current(shard, copy)
        if shard.info().indexed_vectors_count:  # the old shard had HNSW graphs: so does the copy
            copy.optimize()
        copy.flush()
    finally:
        copy.close()
    return kept


def _configured_dim(path: Path) -> int | None:
    """Vector size recorded in a shard's edge_config.json (None if unreadable)."""
    try:
        config = json.loads((path / "edge_config.json").read_text(encoding="utf-8"))
        return int(config["vectors"][""]["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _engine_errors(what: str) -> Iterator[None]:
    """Qdrant Edge raises bare ``Exception``; re-raise as StoreError keeping the original."""
    try:
        yield
    except SemstreamError:
        raise
    except Exception as e:
        raise StoreError(f"Qdrant Edge failed {what}: {e}") from e


def _selector(fields: tuple[str, ...] | None, store_keys: bool = False) -> Any:
    """What to read of each point's payload: everything, nothing (``()`` in a search) or some keys.

    A search reading any key reads the store keys too (the engine decodes the whole payload
    either way); one reading none resolves ids through the point directory.
    """
    if fields is None:
        return True
    if not fields and not store_keys:
        return False
    return qe.PayloadSelector.Include(points.read_keys(fields))


def _point(kind: EntityKind, doc: Document, dim: int) -> qe.Point:
    return qe.Point(point_id(kind, doc.id), points.point_vector(doc, dim), points.point_payload(doc))


def _older_than(version: int) -> qe.Filter:
    """Matches points whose stored version is lower than ``version`` (or missing)."""
    newer_or_equal = qe.FieldCondition(key=VERSION_KEY, range=qe.RangeFloat(gte=float(version)))
    return qe.Filter(must_not=[newer_or_equal])


def _value(value: Any) -> Any:
    # qdrant-edge 0.9 converts a Python bool in MatchValue to the integer 1/0, which never matches
    # a boolean payload; numpy's bool_ is not an int subclass and reaches the engine as a bool.
    return np.bool_(value) if isinstance(value, bool) else value


def _match_any(field: str, values: list[str | int]) -> Any:
    """MatchAny takes one value type at a time; a mixed list becomes a ``should`` of two."""
    strings = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if not isinstance(v, str)]
    parts = [qe.FieldCondition(key=field, match=qe.MatchAny(vs)) for vs in (strings, numbers) if vs]
    if len(parts) == 1:
        return parts[0]
    return qe.Filter(should=parts) if parts else qe.FieldCondition(key=field, match=qe.MatchAny([]))


def to_condition(condition: Condition) -> Any:
    """One store-neutral condition as a Qdrant Edge condition."""
    if isinstance(condition, Match):
        return qe.FieldCondition(key=condition.field, match=qe.MatchValue(_value(condition.value)))
    if isinstance(condition, MatchAny):
        return _match_any(condition.field, condition.values)
    bounds = qe.RangeFloat(gte=condition.gte, lte=condition.lte)
    return qe.FieldCondition(key=condition.field, range=bounds)


def live_filter(flt: Filter | None) -> qe.Filter:
    """``flt`` over live documents only (tombstones excluded)."""
    tombstone = qe.FieldCondition(key=DELETED_KEY, match=qe.MatchValue(np.bool_(True)))
    must = [to_condition(c) for c in flt.must] if flt else []
    must_not = [to_condition(c) for c in flt.must_not] if flt else []
    return qe.Filter(must=must or None, must_not=[*must_not, tombstone])
