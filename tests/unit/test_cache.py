"""Score cache: version guard, invalidation by id, key normalisation, LRU and TTL."""

from __future__ import annotations

import numpy as np

from semstream.deployments.cache import ScoreCache, cache_key
from semstream.schemas import EntityKind

JOB = EntityKind.JOB


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_hit_needs_the_same_item_version() -> None:
    cache = ScoreCache()
    key = cache_key(JOB, "u1", "python dev")
    cache.store(key, [("a", 1, 0.9), ("b", 3, 0.4)])
    assert cache.lookup(key, [("a", 1), ("b", 3)]) == {"a": 0.9, "b": 0.4}
    assert cache.lookup(key, [("a", 2), ("b", 3)]) == {"b": 0.4}  # a was updated since
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.stale) == (3, 1, 1)


def test_invalidate_drops_the_item_from_every_entry_of_its_kind() -> None:
    cache = ScoreCache()
    k1, k2 = cache_key(JOB, "u1", "python"), cache_key(JOB, "u2", "rust")
    k3 = cache_key(EntityKind.PROFILE, "u1", "python")
    for key in (k1, k2, k3):
        cache.store(key, [("a", 1, 0.5), ("b", 1, 0.6)])
    assert cache.invalidate(JOB, ["a"]) == 2
    assert cache.lookup(k1, [("a", 1), ("b", 1)]) == {"b": 0.6}
    assert cache.lookup(k2, [("a", 1)]) == {}
    assert cache.lookup(k3, [("a", 1)]) == {"a": 0.5}  # same id, other kind: untouched
    assert cache.invalidate(JOB, ["a", "missing"]) == 0
    assert cache.stats().invalidated == 2


def test_key_ignores_case_spacing_and_punctuation_but_not_searcher() -> None:
    assert cache_key(JOB, "", "Python  Dev!") == cache_key(JOB, "", "python dev")
    assert cache_key(JOB, "u1", "python") != cache_key(JOB, "u2", "python")
    assert cache_key(JOB, "", "python") != cache_key(EntityKind.PROFILE, "", "python")


def test_key_follows_the_query_vector_but_not_its_float_noise() -> None:
    v = np.linspace(-1, 1, 8, dtype=np.float32)
    noisy = v + np.float32(1e-5)
    other = v[::-1].copy()
    assert cache_key(JOB, "", "python", v.tobytes()) == cache_key(JOB, "", "python", noisy.tobytes())
    assert cache_key(JOB, "", "python", v.tobytes()) != cache_key(JOB, "", "python", other.tobytes())
    assert cache_key(JOB, "", "python", v.tobytes()) != cache_key(JOB, "", "python")
    assert cache_key(JOB, "", "python", None) == cache_key(JOB, "", "python", b"")


def test_lru_evicts_the_least_recent_entry_and_its_reverse_index() -> None:
    cache = ScoreCache(max_entries=2)
    a, b, c = (cache_key(JOB, "", q) for q in ("a", "b", "c"))
    cache.store(a, [("x", 1, 0.1)])
    cache.store(b, [("x", 1, 0.2)])
    cache.lookup(a, [("x", 1)])  # a is now more recent than b
    cache.store(c, [("x", 1, 0.3)])
    assert cache.lookup(b, [("x", 1)]) == {}
    assert cache.lookup(a, [("x", 1)]) == {"x": 0.1}
    assert cache.stats().entries == 2
    assert cache.invalidate(JOB, ["x"]) == 2


def test_entries_expire_after_ttl() -> None:
    clock = Clock()
    cache = ScoreCache(ttl_s=10, clock=clock)
    key = cache_key(JOB, "", "q")
    cache.store(key, [("x", 1, 0.7)])
    clock.now = 9.0
    assert cache.lookup(key, [("x", 1)]) == {"x": 0.7}
    clock.now = 10.5
    assert cache.lookup(key, [("x", 1)]) == {}


def test_zero_entries_turns_the_cache_off() -> None:
    cache = ScoreCache(max_entries=0)
    key = cache_key(JOB, "", "q")
    cache.store(key, [("x", 1, 0.7)])
    assert cache.lookup(key, [("x", 1)]) == {}
