"""Score cache keyed by (kind, searcher, normalised query, query vector), with per-item versions.

Two guards keep it from serving a stale score:

* ``invalidate(kind, ids)`` drops the cached scores of updated or deleted items at once (the
  index side calls it through the Ranking deployment);
* every cached score remembers the item version it was computed for, and a lookup with a
  different current version is a miss (this also covers replicas the invalidation did not reach).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from semstream.schemas import EntityKind

CacheKey = tuple[str, str, str]


def normalise_query(text: str) -> str:
    """Case, punctuation and spacing do not change the cache key."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def vector_digest(vector: bytes | None) -> str:
    """A short digest of a float32 query vector rounded to 3 decimals (batching noise keeps the key)."""
    if not vector:
        return ""
    rounded = np.round(np.frombuffer(vector, dtype=np.float32), 3) + np.float32(0.0)  # -0.0 -> 0.0
    return hashlib.blake2b(rounded.astype(np.float32).tobytes(), digest_size=8).hexdigest()


def cache_key(kind: EntityKind, searcher: str, query: str, vector: bytes | None = None) -> CacheKey:
    """The query vector is part of the key: rankers that read it (MixLM, fused scores) score by it."""
    digest = vector_digest(vector)
    return (EntityKind(kind).value, searcher, normalise_query(query) + (f" #{digest}" if digest else ""))


@dataclass
class _Entry:
    created: float
    scores: dict[str, tuple[float, int]] = field(default_factory=dict)  # item id -> (score, version)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stale: int = 0
    invalidated: int = 0
    entries: int = 0


class ScoreCache:
    """Thread-safe LRU of score entries; ``max_entries=0`` turns it off."""

    def __init__(self, max_entries: int = 10_000, ttl_s: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._by_item: dict[tuple[str, str], set[CacheKey]] = {}
        self._stats = CacheStats()
        self._lock = threading.Lock()

    def lookup(self, key: CacheKey, items: Iterable[tuple[str, int]]) -> dict[str, float]:
        """Cached scores for the (id, current version) pairs whose cached version matches."""
        with self._lock:
            entry = self._live_entry(key)
            found: dict[str, float] = {}
            for item_id, version in items:
                cached = entry.scores.get(item_id) if entry else None
                if cached is not None and cached[1] == version:
                    found[item_id] = cached[0]
                    self._stats.hits += 1
                else:
                    self._stats.stale += cached is not None
                    self._stats.misses += 1
            return found

    def store(self, key: CacheKey, scores: Iterable[tuple[str, int, float]]) -> None:
        """Remember (id, version, score) triples under ``key``."""
        if self.max_entries <= 0:
            return
        with self._lock:
            entry = self._live_entry(key) or self._new_entry(key)
            for item_id, version, score in scores:
                entry.scores[item_id] = (score, version)
                self._by_item.setdefault((key[0], item_id), set()).add(key)

    def invalidate(self, kind: EntityKind, ids: Iterable[str]) -> int:
        """Forget every cached score of these items; returns how many scores were dropped."""
        kind_value = EntityKind(kind).value
        dropped = 0
        with self._lock:
            for item_id in ids:
                for key in self._by_item.pop((kind_value, item_id), ()):
                    entry = self._entries.get(key)
                    if entry is not None and entry.scores.pop(item_id, None) is not None:
                        dropped += 1
            self._stats.invalidated += dropped
        return dropped

    def holds(self, kind: EntityKind, item_id: str) -> bool:
        """Whether any cached entry still has a score of this item."""
        with self._lock:
            return bool(self._by_item.get((EntityKind(kind).value, item_id)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_item.clear()

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(**{**self._stats.__dict__, "entries": len(self._entries)})

    # --- internals (lock held) ---------------------------------------------------------
    def _live_entry(self, key: CacheKey) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry.created > self.ttl_s:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _new_entry(self, key: CacheKey) -> _Entry:
        entry = self._entries[key] = _Entry(created=self._clock())
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))
        return entry

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        for item_id in entry.scores if entry else ():
            keys = self._by_item.get((key[0], item_id))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_item[(key[0], item_id)]
