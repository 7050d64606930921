"""One contract for every VectorStore: the in-memory twin, qdrant-client local mode, Qdrant Edge.

Each ``store`` test runs against all three; the adapter-specific tests at the end cover what only
one adapter has (directory lock and reopen for Edge, connection errors for the server client).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import threading
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from semstream.config import load_settings
from semstream.errors import StoreError, StoreUnavailable
from semstream.schemas import Document, EntityKind
from semstream.store.edge import EdgeStore
from semstream.store.exceptions import CollectionMissing, StoreLocked
from semstream.store.factory import open_store
from semstream.store.filters import Filter, Match, MatchAny, Range, filter_holds
from semstream.store.memory import MemoryStore
from semstream.store.protocol import VectorStore
from semstream.store.qdrant_server import QdrantServerStore

DIM = 8
JOB, PROFILE = EntityKind.JOB, EntityKind.PROFILE
ADAPTERS = ["memory", "qdrant-local", "edge"]


def make_store(name: str, tmp_path: Path) -> VectorStore:
    if name == "memory":
        return MemoryStore()
    if name == "qdrant-local":
        return QdrantServerStore(location=":memory:")
    return EdgeStore(tmp_path / "edge")


@pytest.fixture(scope="module")
def edge_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Empty Edge shards with all payload indexes, copied per test (each index build costs ~0.15 s)."""
    root = tmp_path_factory.mktemp("edge-template") / "edge"
    with EdgeStore(root) as s:
        s.ensure_collection(JOB, DIM)
        s.ensure_collection(PROFILE, DIM)
    return root


@pytest.fixture(params=ADAPTERS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "edge":
        shutil.copytree(request.getfixturevalue("edge_template"), tmp_path / "edge")
    s = make_store(request.param, tmp_path)
    s.ensure_collection(JOB, DIM)
    s.ensure_collection(PROFILE, DIM)
    yield s
    s.close()


def vec(seed: int) -> list[float]:
    v = np.random.default_rng(seed).standard_normal(DIM)
    return (v / np.linalg.norm(v)).tolist()


def doc(entity_id: str, version: int, seed: int = 0, kind: EntityKind = JOB, **payload: object) -> Document:
    return Document(kind=kind, id=entity_id, version=version, vector=vec(seed), payload=payload)


def tomb(entity_id: str, version: int, kind: EntityKind = JOB) -> Document:
    return Document(kind=kind, id=entity_id, version=version, deleted=True)


def all_ids(store: VectorStore, flt: Filter | None = None, kind: EntityKind = JOB) -> set[str]:
    return {h.id for h in store.search(kind, vec(999), 10_000, flt)}


# --- basics -----------------------------------------------------------------------------------


def test_protocol_is_implemented(store: VectorStore) -> None:
    assert isinstance(store, VectorStore)


def test_new_collection_is_empty_and_ensure_is_idempotent(store: VectorStore) -> None:
    store.ensure_collection(JOB, DIM)
    assert store.count(JOB) == 0
    assert store.search(JOB, vec(1), 10) == []
    assert store.get(JOB, ["nope"]) == []
    assert store.versions(JOB, ["nope"]) == {}


def test_upsert_get_count_versions(store: VectorStore) -> None:
    result = store.apply([doc("a", 1, 1, title="A"), doc("b", 5, 2, title="B"), doc("c", 2, 3, kind=PROFILE)])
    assert (result.written, result.stale) == (3, 0)
    assert store.count(JOB) == 2 and store.count(PROFILE) == 1
    hits = store.get(JOB, ["b", "missing", "a"])
    assert [h.id for h in hits] == ["b", "a"]
    assert [h.version for h in hits] == [5, 1]
    assert hits[0].payload["title"] == "B" and hits[0].payload["_id"] == "b"
    assert "_version" not in hits[0].payload and "_deleted" not in hits[0].payload
    np.testing.assert_allclose(hits[1].vector, vec(1), atol=1e-5)
    assert store.versions(JOB, ["a", "b", "c", "x"]) == {"a": 1, "b": 5}
    assert store.versions(PROFILE, ["c"]) == {"c": 2}


def test_search_orders_by_cosine_similarity(store: VectorStore) -> None:
    store.apply([doc(f"d{i}", 1, seed=i) for i in range(40)])
    query = vec(1234)
    hits = store.search(JOB, query, 10)
    matrix = np.asarray([vec(i) for i in range(40)])
    expected = np.argsort(-(matrix @ np.asarray(query)))[:10]
    assert [h.id for h in hits] == [f"d{i}" for i in expected]
    np.testing.assert_allclose([h.score for h in hits], (matrix @ np.asarray(query))[expected], atol=1e-4)
    assert all(h.vector is None for h in hits)
    assert store.search(JOB, query, 0) == []


def test_with_vectors_returns_the_stored_unit_vector(store: VectorStore) -> None:
    raw = [3.0, 4.0] + [0.0] * (DIM - 2)
    store.apply([Document(kind=JOB, id="v", version=1, vector=raw)])
    (hit,) = store.search(JOB, raw, 1, with_vectors=True)
    np.testing.assert_allclose(hit.vector, [0.6, 0.8] + [0.0] * (DIM - 2), atol=1e-6)
    assert hit.score == pytest.approx(1.0, abs=1e-5)


def test_event_time_is_kept_in_the_payload(store: VectorStore) -> None:
    store.apply([Document(kind=JOB, id="t", version=1, vector=vec(1), event_time=1700000000.5)])
    (hit,) = store.get(JOB, ["t"])
    assert hit.payload["_event_time"] == pytest.approx(1700000000.5)


# --- filters ----------------------------------------------------------------------------------

CORPUS = {
    "j1": {"country": "us", "skills_key": ["python", "sql"], "remote": True, "posted_ts": 100, "seniority": "senior"},
    "j2": {"country": "de", "skills_key": ["java"], "remote": False, "posted_ts": 200},
    "j3": {"country": "us", "skills_key": ["go", "python"], "posted_ts": 300, "seniority": "junior"},
    "j4": {"country": "fr", "skills_key": [], "remote": True},
    "j5": {"skills_key": ["rust"], "posted_ts": 250, "tags": [1, 2]},
}

FILTER_CASES = [
    (Filter(must=[Match(field="country", value="us")]), {"j1", "j3"}),
    (Filter(must=[Match(field="skills_key", value="python")]), {"j1", "j3"}),
    (Filter(must=[Match(field="remote", value=True)]), {"j1", "j4"}),
    (Filter(must=[Match(field="remote", value=False)]), {"j2"}),
    (Filter(must=[Match(field="posted_ts", value=200)]), {"j2"}),
    (Filter(must=[MatchAny(field="skills_key", values=["java", "rust"])]), {"j2", "j5"}),
    (Filter(must=[MatchAny(field="country", values=["de", "fr"])]), {"j2", "j4"}),
    (Filter(must=[MatchAny(field="tags", values=[2, 9])]), {"j5"}),
    (Filter(must=[MatchAny(field="country", values=[])]), set()),
    (Filter(must=[Range(field="posted_ts", gte=200, lte=300)]), {"j2", "j3", "j5"}),
    (Filter(must=[Range(field="posted_ts", lte=200)]), {"j1", "j2"}),
    (Filter(must=[Range(field="posted_ts", gte=250)]), {"j3", "j5"}),
    (Filter(must_not=[Match(field="country", value="us")]), {"j2", "j4", "j5"}),
    (Filter(must_not=[MatchAny(field="skills_key", values=["python"])]), {"j2", "j4", "j5"}),
    (Filter(must_not=[Range(field="posted_ts", gte=150)]), {"j1", "j4"}),
    (
        Filter(must=[Match(field="country", value="us"), Range(field="posted_ts", gte=150)],
               must_not=[Match(field="seniority", value="senior")]),
        {"j3"},
    ),
    (Filter(), set(CORPUS)),
]


@pytest.fixture(scope="module", params=ADAPTERS)
def corpus_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VectorStore]:
    """CORPUS loaded once per adapter; the filter tests only read it."""
    s = make_store(request.param, tmp_path_factory.mktemp("corpus"))
    s.ensure_collection(JOB, DIM)
    s.apply([doc(i, 1, seed=n, **p) for n, (i, p) in enumerate(CORPUS.items())] + [tomb("gone", 2)])
    yield s
    s.close()


@pytest.mark.parametrize(("flt", "expected"), FILTER_CASES, ids=[str(i) for i in range(len(FILTER_CASES))])
def test_filters(corpus_store: VectorStore, flt: Filter, expected: set[str]) -> None:
    assert all_ids(corpus_store, flt) == expected
    assert expected == {i for i, p in CORPUS.items() if filter_holds(flt, p)}  # the reference agrees


def _random_payload(rng: random.Random) -> dict[str, object]:
    payload: dict[str, object] = {"skills_key": rng.sample(["a", "b", "c", "d", "e"], rng.randint(0, 3))}
    if rng.random() < 0.8:
        payload["country"] = rng.choice(["us", "de", "fr"])
    if rng.random() < 0.7:
        payload["remote"] = rng.random() < 0.5
    if rng.random() < 0.7:
        payload["posted_ts"] = rng.randint(0, 20)
    return payload


def _random_condition(rng: random.Random) -> Match | MatchAny | Range:
    choice = rng.randrange(5)
    if choice == 0:
        return Match(field="country", value=rng.choice(["us", "de", "fr", "xx"]))
    if choice == 1:
        return MatchAny(field="skills_key", values=rng.sample(["a", "b", "c", "d", "e", "z"], rng.randint(1, 3)))
    if choice == 2:
        return Match(field="remote", value=rng.random() < 0.5)
    low = rng.randint(0, 20)
    return Range(field="posted_ts", gte=low if choice == 3 else None, lte=low + rng.randint(0, 10))


def test_random_filters_agree_with_the_reference(store: VectorStore) -> None:
    rng = random.Random(7)
    payloads = {f"r{i}": _random_payload(rng) for i in range(60)}
    store.apply([doc(i, 1, seed=n, **p) for n, (i, p) in enumerate(payloads.items())])
    for _ in range(60):
        flt = Filter(must=[_random_condition(rng) for _ in range(rng.randint(0, 2))],
                     must_not=[_random_condition(rng) for _ in range(rng.randint(0, 1))])
        expected = {i for i, p in payloads.items() if filter_holds(flt, p)}
        assert all_ids(store, flt) == expected, flt


# --- version guard and tombstones ---------------------------------------------------------------


def test_stale_and_equal_versions_are_ignored_newer_applied(store: VectorStore) -> None:
    store.apply([doc("a", 5, seed=1, title="v5")])
    stale = store.apply([doc("a", 4, seed=2, title="v4")])
    equal = store.apply([doc("a", 5, seed=3, title="v5-again")])
    assert (stale.written, stale.stale, equal.written, equal.stale) == (0, 1, 0, 1)
    (hit,) = store.get(JOB, ["a"])
    assert (hit.version, hit.payload["title"]) == (5, "v5")
    np.testing.assert_allclose(hit.vector, vec(1), atol=1e-5)
    newer = store.apply([doc("a", 9, seed=4, title="v9")])
    assert (newer.written, newer.stale) == (1, 0)
    (hit,) = store.get(JOB, ["a"])
    assert (hit.version, hit.payload["title"]) == (9, "v9")
    np.testing.assert_allclose(hit.vector, vec(4), atol=1e-5)
    assert store.count(JOB) == 1


def test_first_write_with_a_high_version_is_inserted(store: VectorStore) -> None:
    result = store.apply([doc("new", 2**40, seed=1)])
    assert result.written == 1
    assert store.versions(JOB, ["new"]) == {"new": 2**40}
    assert [h.id for h in store.search(JOB, vec(1), 1)] == ["new"]


def test_tombstone_hides_blocks_replay_and_newer_upsert_revives(store: VectorStore) -> None:
    store.apply([doc("a", 1, seed=1), doc("b", 1, seed=2)])
    assert store.apply([tomb("a", 2)]).written == 1
    assert store.count(JOB) == 1
    assert all_ids(store) == {"b"}
    assert store.get(JOB, ["a"]) == []
    assert store.versions(JOB, ["a"]) == {"a": 2}
    replay = store.apply([doc("a", 1, seed=1), doc("a", 2, seed=1)])
    assert (replay.written, replay.stale) == (0, 2)
    assert all_ids(store) == {"b"} and store.count(JOB) == 1
    assert store.apply([tomb("a", 2)]).stale == 1
    revived = store.apply([doc("a", 3, seed=5, title="back")])
    assert revived.written == 1
    (hit,) = store.get(JOB, ["a"])
    assert (hit.version, hit.payload["title"]) == (3, "back")
    assert store.count(JOB) == 2


def test_tombstone_for_an_unknown_entity_blocks_a_late_upsert(store: VectorStore) -> None:
    assert store.apply([tomb("ghost", 7)]).written == 1
    assert store.count(JOB) == 0
    assert store.apply([doc("ghost", 6, seed=1)]).stale == 1
    assert store.get(JOB, ["ghost"]) == [] and store.versions(JOB, ["ghost"]) == {"ghost": 7}


def test_newest_in_a_batch_wins_regardless_of_order(store: VectorStore) -> None:
    up = store.apply([doc("a", 1, seed=1, n=1), doc("a", 3, seed=3, n=3), doc("a", 2, seed=2, n=2)])
    down = store.apply([doc("b", 3, seed=3, n=3), doc("b", 1, seed=1, n=1)])
    # counts are those of applying the batch one document at a time
    assert (up.written, up.stale, down.written, down.stale) == (2, 1, 1, 1)
    assert {h.id: h.payload["n"] for h in store.get(JOB, ["a", "b"])} == {"a": 3, "b": 3}
    assert store.apply([doc("c", 4, seed=1), tomb("c", 5), doc("c", 4, seed=2)]).written == 2
    assert store.get(JOB, ["c"]) == [] and store.versions(JOB, ["c"]) == {"c": 5}


def test_shuffled_event_sequences_end_at_the_newest(store: VectorStore) -> None:
    rng = random.Random(20240601)
    expected: dict[str, tuple[int, bool]] = {}
    events: list[Document] = []
    for e in range(150):
        entity, versions = f"e{e}", rng.sample(range(1, 50), rng.randint(1, 6))
        for v in versions:
            deleted = rng.random() < 0.3
            events.append(tomb(entity, v) if deleted else doc(entity, v, seed=v, v=v))
        newest = max(versions)
        expected[entity] = (newest, any(d.deleted for d in events if d.id == entity and d.version == newest))
    for _ in range(3):  # replay everything three times in different orders: same end state
        rng.shuffle(events)
        cuts = [0, *sorted(rng.sample(range(1, len(events)), 20)), len(events)]
        for start, end in zip(cuts, cuts[1:]):
            store.apply(events[start:end])
    assert store.versions(JOB, list(expected)) == {e: v for e, (v, _) in expected.items()}
    live = {e for e, (_, deleted) in expected.items() if not deleted}
    assert all_ids(store) == live and store.count(JOB) == len(live)
    assert {h.id: h.payload["v"] for h in store.get(JOB, sorted(live))} == {e: expected[e][0] for e in live}


def test_concurrent_writers_never_regress(store: VectorStore) -> None:
    ids = [f"c{i}" for i in range(20)]
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            store.apply([doc(i, rng.randint(1, 100), seed=1) for i in rng.sample(ids, 5)])

    def reader() -> None:
        try:
            for n in range(30):
                assert len(store.search(JOB, vec(n), 5)) <= 5
                assert 0 <= store.count(JOB) <= len(ids)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(4)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected: dict[str, int] = {}
    for s in range(4):
        rng = random.Random(s)
        for _ in range(15):
            for i in rng.sample(ids, 5):
                expected[i] = max(expected.get(i, 0), rng.randint(1, 100))
    assert store.versions(JOB, ids) == {i: v for i, v in expected.items()}


def test_mixed_kind_batch_goes_to_the_right_collections(store: VectorStore) -> None:
    store.apply([doc("x", 1, seed=1), doc("x", 2, seed=2, kind=PROFILE), tomb("y", 3, kind=PROFILE)])
    assert store.versions(JOB, ["x", "y"]) == {"x": 1}
    assert store.versions(PROFILE, ["x", "y"]) == {"x": 2, "y": 3}
    assert store.count(JOB) == 1 and store.count(PROFILE) == 1


# --- payload selection and compact reads -------------------------------------------------------


def _selection_corpus(store: VectorStore) -> None:
    store.apply([doc(f"s{i}", i + 1, seed=i, title=f"T{i}", description="long " * 50, skills=["a"])
                 for i in range(12)] + [tomb("s3", 99)])


@pytest.mark.parametrize("fields", [None, ("title", "skills", "absent"), ("_id",), ()], ids=str)
def test_search_returns_only_the_payload_keys_asked_for(store: VectorStore, fields: tuple[str, ...] | None) -> None:
    _selection_corpus(store)
    full = store.search(JOB, vec(5), 8)
    picked = store.search(JOB, vec(5), 8, payload_fields=fields, with_vectors=True)
    assert [(h.id, h.version) for h in picked] == [(h.id, h.version) for h in full]
    np.testing.assert_allclose([h.score for h in picked], [h.score for h in full], atol=1e-6)
    for narrow, wide in zip(picked, full):
        expected = wide.payload if fields is None else {k: wide.payload[k] for k in fields if k in wide.payload}
        assert narrow.payload == expected
        assert "_version" not in narrow.payload and "_deleted" not in narrow.payload
        np.testing.assert_allclose(narrow.vector, vec(int(narrow.id[1:])), atol=1e-5)
    assert "s3" not in {h.id for h in picked}


@pytest.mark.parametrize("fields", [None, ("title",), ()], ids=str)
def test_get_returns_only_the_payload_keys_asked_for(store: VectorStore, fields: tuple[str, ...] | None) -> None:
    _selection_corpus(store)
    hits = store.get(JOB, ["s5", "s3", "nope", "s1"], payload_fields=fields)
    assert [(h.id, h.version) for h in hits] == [("s5", 6), ("s1", 2)]
    full = {"title": "T5", "description": "long " * 50, "skills": ["a"], "_id": "s5"}
    assert hits[0].payload == (full if fields is None else {k: full[k] for k in fields})
    np.testing.assert_allclose(hits[1].vector, vec(1), atol=1e-5)


def test_compact_reads_match_the_list_reads(store: VectorStore) -> None:
    _selection_corpus(store)
    flt = Filter(must_not=[Match(field="title", value="T0")])
    listed = store.search(JOB, vec(7), 6, flt, with_vectors=True, payload_fields=("title",))
    compact = store.search_compact(JOB, vec(7), 6, flt, with_vectors=True, payload_fields=("title",))
    assert len(compact) == 6 and compact.ids == [h.id for h in listed]
    assert compact.versions.tolist() == [h.version for h in listed]
    assert compact.payloads == [h.payload for h in listed]
    assert compact.vectors is not None and compact.vectors.dtype == np.float32 and compact.vectors.shape == (6, DIM)
    np.testing.assert_allclose(compact.scores, [h.score for h in listed], atol=1e-6)
    np.testing.assert_allclose(np.frombuffer(compact.vector_bytes(2), dtype="<f4"), listed[2].vector, atol=1e-6)
    rebuilt = compact.to_hits()
    assert [(h.id, h.version, h.payload) for h in rebuilt] == [(h.id, h.version, h.payload) for h in listed]
    got = store.get_compact(JOB, ["s2", "s3", "s9"], payload_fields=(), with_vectors=False)
    assert (got.ids, got.versions.tolist(), got.payloads, got.vectors) == (["s2", "s9"], [3, 10], [{}, {}], None)
    assert store.search_compact(JOB, vec(1), 0).ids == [] and store.get_compact(JOB, []).ids == []
    empty = store.search_compact(PROFILE, vec(1), 5, with_vectors=True)
    assert len(empty) == 0 and empty.to_hits() == []


def test_a_string_is_not_a_field_list(store: VectorStore) -> None:
    store.apply([doc("a", 1, seed=1, title="A")])
    with pytest.raises(StoreError, match="'title'"):
        store.search(JOB, vec(1), 3, payload_fields="title")


def test_id_only_search_follows_updates_and_deletes(store: VectorStore) -> None:
    store.apply([doc(f"u{i}", 1, seed=i) for i in range(10)])
    assert {h.id: h.version for h in store.search(JOB, vec(0), 20, payload_fields=())} == {f"u{i}": 1 for i in range(10)}
    store.apply([doc("u1", 5, seed=1), tomb("u2", 2), doc("u3", 1, seed=3), doc("new", 7, seed=11)])
    found = {h.id: h.version for h in store.search(JOB, vec(0), 20, payload_fields=())}
    assert found == {**{f"u{i}": 1 for i in range(10) if i != 2}, "u1": 5, "new": 7}
    store.apply([doc("u2", 3, seed=2)])
    assert {h.id: h.version for h in store.search(JOB, vec(2), 1, payload_fields=())} == {"u2": 3}


# --- adapter-specific -------------------------------------------------------------------------

QDRANT_ADAPTERS = ["qdrant-local", "edge"]


@pytest.mark.parametrize("name", QDRANT_ADAPTERS)
def test_bad_batches_are_refused_whole(name: str, tmp_path: Path) -> None:
    with _open(name, tmp_path) as s:
        with pytest.raises(StoreError, match="'b'.*3 dimensions"):
            s.apply([doc("a", 1, seed=1), Document(kind=JOB, id="b", version=1, vector=[1.0, 0.0, 0.0])])
        with pytest.raises(StoreError, match="'c'.*needs a vector"):
            s.apply([Document(kind=JOB, id="c", version=1)])
        with pytest.raises(StoreError, match="2\\*\\*53"):
            s.apply([doc("d", 2**60, seed=1)])
        assert s.count(JOB) == 0


@pytest.mark.parametrize("name", QDRANT_ADAPTERS)
def test_write_to_a_missing_collection_is_refused(name: str, tmp_path: Path) -> None:
    s = make_store(name, tmp_path)
    try:
        assert s.count(JOB) == 0 and s.search(JOB, vec(1), 3) == []
        with pytest.raises(CollectionMissing, match="jobs"):
            s.apply([doc("a", 1)])
    finally:
        s.close()


@pytest.mark.parametrize("name", QDRANT_ADAPTERS)
def test_engine_condition_alone_blocks_stale_writes(name: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """If another writer got in between the version read and the write, the engine still refuses."""
    with _open(name, tmp_path) as s:
        s.apply([doc("a", 5, seed=1, title="v5"), tomb("gone", 5), doc("b", 7, seed=5)])
        assert {h.id for h in s.search(JOB, vec(1), 5, payload_fields=())} == {"a", "b"}  # Edge: directory built
        monkeypatch.setattr(s, "_versions", lambda *args: {})  # the read saw nothing stored
        s.apply([doc("a", 4, seed=2, title="v4"), doc("a", 5, seed=3, title="v5b"), doc("gone", 3, seed=2),
                 doc("fresh", 1, seed=4), doc("b", 6, seed=6)])
        monkeypatch.undo()
        (hit,) = s.get(JOB, ["a"])
        assert (hit.version, hit.payload["title"]) == (5, "v5")
        np.testing.assert_allclose(hit.vector, vec(1), atol=1e-5)
        assert s.get(JOB, ["gone"]) == [] and s.versions(JOB, ["gone"]) == {"gone": 5}
        assert s.versions(JOB, ["fresh"]) == {"fresh": 1}  # a new point is inserted despite the condition
        id_only = {h.id: h.version for h in s.search(JOB, vec(1), 5, payload_fields=())}
        assert id_only == {"a": 5, "fresh": 1, "b": 7}


def test_exact_search_agrees_across_adapters(tmp_path: Path) -> None:
    with EdgeStore(tmp_path / "a", exact=True) as exact, _open("qdrant-local", tmp_path, exact=True) as local:
        for s in (exact, local):
            s.ensure_collection(JOB, DIM)
            s.apply([doc(f"d{i}", 1, seed=i, country="us" if i % 2 else "de") for i in range(30)])
        flt = Filter(must=[Match(field="country", value="us")])
        assert [h.id for h in exact.search(JOB, vec(77), 5, flt)] == [h.id for h in local.search(JOB, vec(77), 5, flt)]


def test_edge_reopen_keeps_data_and_checks_dimension(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    with EdgeStore(root) as s:
        s.ensure_collection(JOB, DIM)
        s.apply([doc("a", 3, seed=1, title="kept"), tomb("b", 4)])
        s.maintain()
    with EdgeStore(root) as s:  # no ensure_collection: existing shards load on first use
        assert s.count(JOB) == 1
        assert s.versions(JOB, ["a", "b"]) == {"a": 3, "b": 4}
        assert [h.payload["title"] for h in s.search(JOB, vec(1), 5)] == ["kept"]
        assert s.apply([doc("b", 2, seed=2)]).stale == 1
        s.ensure_collection(JOB, DIM)
        with pytest.raises(StoreError, match="8-d.*16-d"):
            s.ensure_collection(JOB, 16)


def test_edge_directory_lock(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    first = EdgeStore(root)
    with pytest.raises(StoreLocked, match=str(root)):
        EdgeStore(root)
    probe = [sys.executable, "-c", f"from semstream.store.edge import EdgeStore; EdgeStore({str(root)!r})"]
    other = subprocess.run(probe, capture_output=True, text=True, timeout=120)
    assert other.returncode != 0 and "StoreLocked" in other.stderr and str(root) in other.stderr
    first.close()
    EdgeStore(root).close()  # released on close


def test_edge_survives_a_crash_without_close(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from semstream.schemas import Document, EntityKind
        from semstream.store.edge import EdgeStore
        s = EdgeStore(Path({str(root)!r}))
        s.ensure_collection(EntityKind.JOB, {DIM})
        s.apply([Document(kind=EntityKind.JOB, id=f"k{{i}}", version=i + 1, vector=[1.0] + [0.0] * {DIM - 1})
                 for i in range(50)])
        os._exit(0)  # no close, no flush
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    with EdgeStore(root) as s:
        assert s.count(JOB) == 50
        assert s.versions(JOB, ["k0", "k49"]) == {"k0": 1, "k49": 50}


def test_edge_store_is_unusable_after_close(tmp_path: Path) -> None:
    s = EdgeStore(tmp_path / "edge")
    s.ensure_collection(JOB, DIM)
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.count(JOB)


def test_unreachable_server_is_retryable_and_hides_the_key() -> None:
    secret = "sk-do-not-print-4242"
    s = QdrantServerStore("http://127.0.0.1:9", api_key=secret, timeout=2)
    with pytest.raises(StoreUnavailable) as info:
        s.ensure_collection(JOB, DIM)
    assert "127.0.0.1:9" in str(info.value) and secret not in str(info.value) and secret not in repr(s)
    assert info.value.__cause__ is not None


def test_server_store_needs_one_target() -> None:
    with pytest.raises(StoreError, match="exactly one"):
        QdrantServerStore()


def test_open_store_follows_settings(tmp_path: Path) -> None:
    edge = open_store(load_settings(data_dir=tmp_path / "data"))
    try:
        assert isinstance(edge, EdgeStore) and edge.root == tmp_path / "data" / "qdrant"
    finally:
        edge.close()
    server = open_store(load_settings(data_dir=tmp_path, qdrant_url="http://127.0.0.1:9", qdrant_api_key="k-123"))
    assert isinstance(server, QdrantServerStore) and "k-123" not in repr(server)
    server.close()


def _open(name: str, tmp_path: Path, exact: bool = False) -> VectorStore:
    s = EdgeStore(tmp_path / "edge", exact=exact) if name == "edge" else QdrantServerStore(location=":memory:",
                                                                                        exact=exact)
    s.ensure_collection(JOB, DIM)
    return s


def test_edge_id_only_search_after_reopen_and_after_a_failed_write(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "edge"
    with EdgeStore(root) as s:
        s.ensure_collection(JOB, DIM)
        s.apply([doc(f"p{i}", i + 1, seed=i) for i in range(30)] + [tomb("p4", 50)])
    with EdgeStore(root) as s:  # the point directory is rebuilt from the shard
        hits = s.search(JOB, vec(0), 100, payload_fields=())
        assert {h.id: h.version for h in hits} == {f"p{i}": i + 1 for i in range(30) if i != 4}
        monkeypatch.setitem(s._shards, JOB, _FailingSecondUpdate(s._shards[JOB]))
        with pytest.raises(StoreError, match="disk full"):
            s.apply([doc("p0", 60, seed=0), doc("p1", 61, seed=1)])
        monkeypatch.undo()
        found = {h.id: h.version for h in s.search(JOB, vec(0), 100, payload_fields=())}
        assert found == {**{f"p{i}": i + 1 for i in range(30) if i != 4}, **s.versions(JOB, ["p0", "p1"])}
        assert s.versions(JOB, ["p0"]) == {"p0": 60}


class _FailingSecondUpdate:
    """The engine below the store: its second update fails (the first version group lands)."""

    def __init__(self, shard: object) -> None:
        self._shard, self._calls = shard, 0

    def update(self, operation: object) -> None:
        self._calls += 1
        if self._calls == 2:
            raise RuntimeError("disk full")
        self._shard.update(operation)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._shard, name)
