"""``EdgeStore.purge_deleted``: no byte of a deleted entity stays under the store's root, and every
answer (count, search, get, versions, the stale-replay guard) is the same before and after."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semstream.errors import StoreUnavailable
from semstream.schemas import Document, EntityKind, Hit
from semstream.store.edge import EdgeStore
from semstream.store.filters import Filter, Match
from semstream.store.memory import MemoryStore

DIM = 8
JOB, PROFILE = EntityKind.JOB, EntityKind.PROFILE
GONE_NAME, GONE_SUMMARY = "Quillon-Varga-7f3e", "led-the-zephyr-migration-7f3e"
GONE_TITLE = "Obsidian-Lighthouse-Keeper-7f3e"
KEPT_NAME = "Marisol-Tenbrook-91ac"
PROFILE_IDS = [f"p{i}" for i in range(30)] + ["gone", "kept"]
JOB_IDS = [f"j{i}" for i in range(6)] + ["gone-job"]


def vec(seed: int) -> list[float]:
    v = np.random.default_rng(seed).standard_normal(DIM)
    return (v / np.linalg.norm(v)).tolist()


def profile(entity_id: str, seed: int, **fields: Any) -> Document:
    payload = {"name": f"member {seed}", "summary": f"summary {seed}", "country": "de" if seed % 2 else "us",
               "years_experience": seed % 20, "open_to_work": seed % 3 == 0, "skills_key": [f"s{seed % 4}"], **fields}
    return Document(kind=PROFILE, id=entity_id, version=1, vector=vec(seed), payload=payload, event_time=1.7e9 + seed)


def job(entity_id: str, seed: int, **fields: Any) -> Document:
    return Document(kind=JOB, id=entity_id, version=1, vector=vec(100 + seed),
                    payload={"title": f"job {seed}", "country": "de", **fields})


def tomb(kind: EntityKind, entity_id: str, version: int) -> Document:
    return Document(kind=kind, id=entity_id, version=version, deleted=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Indexed shards holding the corpus, the deleted profile and job tombstoned (copied per test)."""
    root = tmp_path_factory.mktemp("purge-template") / "edge"
    with EdgeStore(root) as s:
        s.ensure_collection(JOB, DIM)
        s.ensure_collection(PROFILE, DIM)
        s.apply([profile(f"p{i}", i) for i in range(30)])
        s.apply([profile("gone", 40, name=GONE_NAME, summary=GONE_SUMMARY), profile("kept", 41, name=KEPT_NAME)])
        s.apply([job(f"j{i}", i) for i in range(6)] + [job("gone-job", 9, title=GONE_TITLE)])
        s.apply([tomb(PROFILE, "gone", 2), tomb(JOB, "gone-job", 5)])
        s.flush()
        s.maintain()
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "edge")
    return tmp_path / "edge"


@pytest.fixture
def store(root: Path) -> Iterator[EdgeStore]:
    s = EdgeStore(root)
    yield s
    s.close()


def files_holding(root: Path, marker: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``marker``."""
    needle = marker.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _hit(h: Hit) -> tuple[tuple[Any, ...], list[float]]:
    """(what must be identical, what may differ by float rounding)."""
    return (h.id, h.version, h.payload), [h.score, *(h.vector or [])]


def answers(store: EdgeStore) -> tuple[list[Any], list[float]]:
    """Counts, versions, gets and searches (plain, filtered, id-only) of both collections."""
    exact: list[Any] = [store.count(PROFILE), store.count(JOB), store.versions(PROFILE, PROFILE_IDS),
                        store.versions(JOB, JOB_IDS)]
    hits = [*store.get(PROFILE, PROFILE_IDS), *store.get(JOB, JOB_IDS)]
    german = Filter(must=[Match(field="country", value="de")])
    for seed in range(3):
        hits += store.search(PROFILE, vec(1000 + seed), 10)
        hits += store.search(PROFILE, vec(1000 + seed), 10, german, with_vectors=True)
        hits += store.search(JOB, vec(1000 + seed), 10)
        exact.append([(h.id, h.version) for h in store.search(PROFILE, vec(1000 + seed), 10, payload_fields=())])
    parts = [_hit(h) for h in hits]
    return exact + [p[0] for p in parts], [x for p in parts for x in p[1]]


def assert_same(got: tuple[list[Any], list[float]], want: tuple[list[Any], list[float]]) -> None:
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], atol=1e-5)


def test_purge_leaves_no_byte_of_a_deleted_entity(root: Path, store: EdgeStore) -> None:
    for marker in (GONE_NAME, GONE_SUMMARY, GONE_TITLE):  # the leak the purge is for
        assert files_holding(root, marker), marker
    assert store.purge_deleted() == {"jobs": 7, "people": 32}  # live points and tombstones
    for marker in (GONE_NAME, GONE_SUMMARY, GONE_TITLE):
        assert files_holding(root, marker) == [], marker
    assert files_holding(root, KEPT_NAME)
    assert sorted(p.name for p in root.iterdir()) == [".lock", "jobs", "people"]


def test_answers_are_the_same_after_a_purge(store: EdgeStore) -> None:
    before = answers(store)
    assert before[0][:2] == [31, 6] and "gone" not in [h.id for h in store.get(PROFILE, PROFILE_IDS)]
    store.purge_deleted()
    assert_same(answers(store), before)


def test_an_older_replay_of_a_deleted_entity_stays_refused(root: Path, store: EdgeStore) -> None:
    store.purge_deleted()
    replay = store.apply([profile("gone", 40, name=GONE_NAME), profile("gone", 40, name=GONE_NAME).model_copy(
        update={"version": 2})])
    assert (replay.written, replay.stale) == (0, 2)
    assert store.versions(PROFILE, ["gone"]) == {"gone": 2} and store.count(PROFILE) == 31
    assert store.get(PROFILE, ["gone"]) == [] and files_holding(root, GONE_NAME) == []
    assert store.apply([profile("gone", 40).model_copy(update={"version": 3})]).written == 1  # newer revives


def test_a_purged_store_reopens_with_the_same_answers(root: Path, store: EdgeStore) -> None:
    before = answers(store)
    store.purge_deleted()
    store.close()
    with EdgeStore(root) as reopened:
        assert_same(answers(reopened), before)
        assert reopened.apply([profile("gone", 40)]).stale == 1
        reopened.apply([profile("new", 50)])
        assert reopened.count(PROFILE) == 32


def test_a_second_purge_is_harmless(root: Path, store: EdgeStore) -> None:
    before = answers(store)
    first = store.purge_deleted()
    assert store.purge_deleted() == first
    assert_same(answers(store), before)
    assert files_holding(root, GONE_NAME) == [] and files_holding(root, KEPT_NAME)


def _between_renames(people: Path) -> None:
    shutil.copytree(people, people.with_name("people.purge-tmp"))
    people.rename(people.with_name("people.purge-old"))


def _old_moved_away_copy_lost(people: Path) -> None:
    people.rename(people.with_name("people.purge-old"))


def _stale_copy_left_behind(people: Path) -> None:
    (people.with_name("people.purge-tmp") / "segments").mkdir(parents=True)


@pytest.mark.parametrize("interrupt", [_between_renames, _old_moved_away_copy_lost, _stale_copy_left_behind])
def test_an_interrupted_swap_is_repaired_on_load(root: Path, store: EdgeStore, interrupt: Any) -> None:
    before = answers(store)
    store.close()
    interrupt(root / "people")
    with EdgeStore(root) as reopened:
        assert_same(answers(reopened), before)
    assert sorted(p.name for p in root.iterdir()) == [".lock", "jobs", "people"]


def test_only_existing_shards_are_purged(tmp_path: Path) -> None:
    with EdgeStore(tmp_path / "edge") as s:
        assert s.purge_deleted() == {}
        s.ensure_collection(JOB, DIM)
        s.apply([job("a", 1), tomb(JOB, "b", 3)])
        assert s.purge_deleted() == {"jobs": 2}
        assert s.count(JOB) == 1 and s.versions(JOB, ["a", "b"]) == {"a": 1, "b": 3}


def test_the_index_owner_passes_purge_through(store: EdgeStore) -> None:
    from semstream.actors.ray_actors import purge_deleted

    assert purge_deleted(MemoryStore()) == {}
    assert purge_deleted(store) == {"jobs": 7, "people": 32}


def test_purge_is_a_registered_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from semstream.cli import SUBCOMMANDS
    from semstream.commands import purge

    assert SUBCOMMANDS["purge"][0] == "semstream.commands.purge"
    purge._print_counts({"jobs": 7, "people": 32})
    assert capsys.readouterr().out.splitlines() == ["index jobs           7 points kept",
                                                    "index people         32 points kept"]
    monkeypatch.setattr(purge, "running_owner", lambda settings: object())  # an owner from before purge existed
    with pytest.raises(StoreUnavailable, match="restart the stack"):
        purge.purge_index(None)  # type: ignore[arg-type]
