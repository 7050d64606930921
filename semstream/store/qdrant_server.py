"""The Qdrant server adapter (qdrant-client), also runnable in qdrant-client's local mode.

``QdrantServerStore(url, api_key=...)`` talks to a server; ``location=":memory:"`` or ``path=...``
runs qdrant-client's pure-Python local mode (tests, tiny demos). One collection per entity kind,
named ``kind.collection``, cosine distance.

The version guard runs twice: the store reads the stored versions of a batch first (for exact
``WriteResult`` counts and to send only newer documents), and sends every upsert with an
``update_filter`` "stored ``_version`` < new version", so two writers racing on one entity still
never regress it. All conditional upserts of a batch travel in one ``batch_update_points`` call.
Local mode honours ``update_filter`` too (qdrant-client 1.20; covered by the contract tests).

Errors: unreachable server, timeouts and 502/503/504 raise :class:`StoreUnavailable` (retry);
anything else :class:`StoreError`. The API key is never logged or put in a message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import httpx
from qdrant_client import QdrantClient
from qdrant_client import models as m
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from semstream.errors import SemstreamError
from semstream.ids import point_id
from semstream.schemas import Document, EntityKind
from semstream.store import points
from semstream.store.compact import CompactHits, HitReads, check_fields
from semstream.store.exceptions import CollectionMissing, StoreError, StoreUnavailable
from semstream.store.filters import Condition, Filter, Match, MatchAny
from semstream.store.protocol import DELETED_KEY, ENTITY_ID_KEY, VERSION_KEY, WriteResult

_RETRYABLE_STATUS = frozenset({408, 429, 502, 503, 504})
_SCHEMA = {
    "keyword": m.PayloadSchemaType.KEYWORD,
    "integer": m.PayloadSchemaType.INTEGER,
    "float": m.PayloadSchemaType.FLOAT,
    "bool": m.PayloadSchemaType.BOOL,
}


class QdrantServerStore(HitReads):
    """``VectorStore`` over a Qdrant server, or qdrant-client's local mode for tests."""

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        location: str | None = None,
        path: str | None = None,
        exact: bool = False,
        timeout: int = 10,
    ) -> None:
        if sum(x is not None for x in (url, location, path)) != 1:
            raise StoreError("QdrantServerStore needs exactly one of url, location or path")
        self._where = url or location or f"path={path}"
        self._local = url is None
        self._exact = exact
        self._known: set[EntityKind] = set()
        self._dims: dict[EntityKind, int] = {}
        self._mutex = threading.RLock()
        with self._errors("connecting"):
            if url is not None:
                self._client = QdrantClient(url=url, api_key=api_key, timeout=timeout, check_compatibility=False)
            else:
                self._client = QdrantClient(location=location, path=path)

    def __repr__(self) -> str:  # never shows the API key
        return f"QdrantServerStore({self._where!r}, exact={self._exact})"

    def __enter__(self) -> QdrantServerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reading(self) -> AbstractContextManager[object]:
        """Local mode is not safe for reads racing writes (numpy arrays grow underneath); serialise it."""
        return self._mutex if self._local else nullcontext()

    # --- collections -------------------------------------------------------------------

    def ensure_collection(self, kind: EntityKind, dim: int) -> None:
        name = kind.collection
        with self._mutex, self._errors(f"creating collection {name!r}"):
            if self._client.collection_exists(name):
                self._check_dim(kind, dim)
            else:
                params = m.VectorParams(size=dim, distance=m.Distance.COSINE)
                self._client.create_collection(name, vectors_config=params)
            self._dims[kind] = dim
            self._known.add(kind)
            if not self._local:  # local mode ignores payload indexes (and warns about them)
                for field, index_type in points.index_fields(kind).items():
                    self._client.create_payload_index(name, field, _SCHEMA[index_type], wait=True)

    def _check_dim(self, kind: EntityKind, dim: int) -> None:
        vectors = self._client.get_collection(kind.collection).config.params.vectors
        size = vectors.size if isinstance(vectors, m.VectorParams) else None
        if size is not None and size != dim:
            raise StoreError(f"collection {kind.collection!r} holds {size}-d vectors, asked for {dim}-d")

    def _exists(self, kind: EntityKind) -> bool:
        if kind not in self._known:
            with self._errors(f"looking up collection {kind.collection!r}"):
                if self._client.collection_exists(kind.collection):
                    self._known.add(kind)
        return kind in self._known

    def _dim(self, kind: EntityKind) -> int:
        if kind not in self._dims:
            with self._errors(f"reading collection {kind.collection!r}"):
                vectors = self._client.get_collection(kind.collection).config.params.vectors
            if not isinstance(vectors, m.VectorParams):
                raise StoreError(f"collection {kind.collection!r} uses named vectors; expected one unnamed vector")
            self._dims[kind] = vectors.size
        return self._dims[kind]

    # --- writes --------------------------------------------------------------------------

    def apply(self, docs: Sequence[Document]) -> WriteResult:
        with self._mutex:
            return points.apply_by_kind(docs, self._apply_kind)

    def _apply_kind(self, kind: EntityKind, docs: list[Document]) -> WriteResult:
        if not self._exists(kind):
            raise CollectionMissing(f"collection {kind.collection!r} does not exist; call ensure_collection first")
        dim = self._dim(kind)
        points.validate(docs, dim)
        winners, result = points.plan_writes(docs, self._versions(kind, {d.id for d in docs}))
        operations = [
            m.UpsertOperation(upsert=m.PointsList(points=[_point(kind, d, dim) for d in group],
                                                  update_filter=_older_than(version)))
            for version, group in points.by_version(winners).items()
        ]
        if operations:
            with self._errors(f"writing to {kind.collection!r}"):
                self._client.batch_update_points(kind.collection, operations, wait=True)
        return result

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
        if limit <= 0 or not self._exists(kind):
            return CompactHits.empty(with_vectors)
        with self._reading(), self._errors(f"searching {kind.collection!r}"):
            response = self._client.query_points(
                kind.collection,
                query=[float(x) for x in vector],
                query_filter=live_filter(flt),
                limit=limit,
                with_payload=points.read_keys(fields) or True,  # the server reads only the keys named
                with_vectors=with_vectors,
                search_params=m.SearchParams(exact=True) if self._exact and not self._local else None,
            )
        return points.compact_scored(response.points, fields, with_vectors)

    def get_compact(
        self,
        kind: EntityKind,
        ids: Sequence[str],
        payload_fields: Sequence[str] | None = None,
        with_vectors: bool = True,
    ) -> CompactHits:
        fields = check_fields(payload_fields)
        if not ids or not self._exists(kind):
            return CompactHits.empty(with_vectors)
        records = self._retrieve(kind, set(ids), with_payload=points.read_keys(fields) or True,
                                 with_vectors=with_vectors)
        return points.compact_records(records, ids, fields, with_vectors)

    def count(self, kind: EntityKind) -> int:
        if not self._exists(kind):
            return 0
        with self._reading(), self._errors(f"counting {kind.collection!r}"):
            return self._client.count(kind.collection, count_filter=live_filter(None), exact=True).count

    def versions(self, kind: EntityKind, ids: Sequence[str]) -> dict[str, int]:
        if not ids or not self._exists(kind):
            return {}
        return self._versions(kind, set(ids))

    def _versions(self, kind: EntityKind, ids: set[str]) -> dict[str, int]:
        records = self._retrieve(kind, ids, with_payload=[ENTITY_ID_KEY, VERSION_KEY], with_vectors=False)
        pairs = (points.stored_version(r.payload) for r in records)
        return dict(p for p in pairs if p is not None)

    def _retrieve(self, kind: EntityKind, ids: set[str], **options: Any) -> list[m.Record]:
        if not ids:
            return []
        with self._reading(), self._errors(f"reading {kind.collection!r}"):
            return self._client.retrieve(kind.collection, [point_id(kind, i) for i in ids], **options)

    # --- upkeep --------------------------------------------------------------------------

    def maintain(self) -> bool:
        """Nothing to do: a Qdrant server runs its optimizers by itself."""
        return False

    def close(self) -> None:
        with self._errors("closing"):
            self._client.close()

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Map client failures to StoreUnavailable (retryable) or StoreError, keeping the cause."""
        try:
            yield
        except SemstreamError:
            raise
        except Exception as e:
            if _is_unavailable(e):
                raise StoreUnavailable(f"Qdrant at {self._where} unavailable while {what}: {_describe(e)}") from e
            raise StoreError(f"Qdrant at {self._where} failed {what}: {_describe(e)}") from e


# --- helpers ---------------------------------------------------------------------------------


def _is_unavailable(error: Exception) -> bool:
    if isinstance(error, UnexpectedResponse):
        return error.status_code in _RETRYABLE_STATUS
    return isinstance(error, (ResponseHandlingException, httpx.TransportError, ConnectionError, TimeoutError))


def _describe(error: Exception) -> str:
    if isinstance(error, ResponseHandlingException):
        return f"{type(error.source).__name__}: {error.source}"
    if isinstance(error, UnexpectedResponse):
        return f"HTTP {error.status_code} {error.reason_phrase}: {error.content[:200]!r}"
    return f"{type(error).__name__}: {error}"


def _point(kind: EntityKind, doc: Document, dim: int) -> m.PointStruct:
    return m.PointStruct(id=point_id(kind, doc.id), vector=points.point_vector(doc, dim),
                         payload=points.point_payload(doc))


def _older_than(version: int) -> m.Filter:
    """Matches points whose stored version is lower than ``version`` (or missing)."""
    return m.Filter(must_not=[m.FieldCondition(key=VERSION_KEY, range=m.Range(gte=version))])


def _match_any(field: str, values: list[str | int]) -> m.Condition:
    """MatchAny takes one value type at a time; a mixed list becomes a ``should`` of two."""
    strings = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if not isinstance(v, str)]
    parts: list[m.Condition] = [
        m.FieldCondition(key=field, match=m.MatchAny(any=vs)) for vs in (strings, numbers) if vs
    ]
    if len(parts) == 1:
        return parts[0]
    return m.Filter(should=parts) if parts else m.FieldCondition(key=field, match=m.MatchAny(any=[]))


def to_condition(condition: Condition) -> m.Condition:
    """One store-neutral condition as a qdrant-client condition."""
    if isinstance(condition, Match):
        return m.FieldCondition(key=condition.field, match=m.MatchValue(value=condition.value))
    if isinstance(condition, MatchAny):
        return _match_any(condition.field, condition.values)
    return m.FieldCondition(key=condition.field, range=m.Range(gte=condition.gte, lte=condition.lte))


def live_filter(flt: Filter | None) -> m.Filter:
    """``flt`` over live documents only (tombstones excluded)."""
    tombstone = m.FieldCondition(key=DELETED_KEY, match=m.MatchValue(value=True))
    must = [to_condition(c) for c in flt.must] if flt else []
    must_not = [to_condition(c) for c in flt.must_not] if flt else []
    return m.Filter(must=must or None, must_not=[*must_not, tombstone])
