"""A deleted profile leaves no copy behind: not in search, the index, the score cache, nor on disk.

The real ingest worker writes to a real Qdrant Edge store and tells the real Ranking service's
score cache what changed (as the ingest actors do through Serve); the HTTP API runs over them.
Copies checked: search answers (both a fresh and a cached query), the stored point (fields, the
ingest-time summary, the vector), the cached ranker scores, and every byte under the data dir
after ``purge_deleted``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving_twins import Stack, make_stack

from semstream.actors.retry import Backoff
from semstream.actors.worker import IngestWorker, WorkerOptions
from semstream.models.embedder import HashEmbedder
from semstream.models.summary import SUMMARY_KEY
from semstream.schemas import EntityKind
from semstream.store.edge import EdgeStore
from semstream.topics.errors import ErrorPolicy
from semstream.topics.memory import MemoryBroker
from semstream.topics.registry import DEADLETTER, JOBS, PROFILES, Topic

MARKER = "Zebulonquixote"  # appears only in the profile that will be deleted


def profile(i: int, name: str | None = None) -> dict:
    return {"op": "upsert", "id": f"p{i}", "version": 1, "name": name or f"Member {i}",
            "headline": "Registered nurse", "current_title": "Nurse", "location": "Berlin, Germany",
            "skills": ["care", "triage"], "summary": f"Nurse in Berlin. {name or ''} cares for patients. " * 3}


class Rig:
    def __init__(self, root: Path) -> None:
        self.broker = MemoryBroker()
        self.broker.ensure_topics([Topic(JOBS, 1, EntityKind.JOB), Topic(PROFILES, 1, EntityKind.PROFILE),
                                   Topic(DEADLETTER, 1)])
        self.store = EdgeStore(root)
        embedder = HashEmbedder()
        for kind in EntityKind:
            self.store.ensure_collection(kind, embedder.dim)
        self.stack: Stack = make_stack(store=self.store)
        self.worker = IngestWorker(
            self.broker.source("g", [JOBS, PROFILES]), self.store, embedder,
            ErrorPolicy("dead_letter", self.broker.sink()), {JOBS: EntityKind.JOB, PROFILES: EntityKind.PROFILE},
            WorkerOptions(max_records=50, poll_ms=1, max_text_chars=4000), backoff=Backoff(attempts=2, first_delay_s=0.0),
            on_written=self._invalidate,
        )

    def _invalidate(self, docs) -> None:
        for doc in docs:
            self.stack.ranking.invalidate(doc.kind, [doc.id])

    def send(self, *events: dict) -> None:
        sink = self.broker.sink()
        for e in events:
            sink.send(PROFILES, e["id"].encode(), json.dumps(e).encode())
        sink.flush(1)
        while self.worker.step():
            pass

    def people(self, query: str) -> list[str]:
        answer = self.stack.client.post("/v1/search/people", json={"query": query, "k": 50})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path / "qdrant")
    yield rig
    rig.store.close()


def _files_holding(root: Path, text: str) -> list[str]:
    needle = text.encode()
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_deleted_profile_leaves_no_copy_anywhere(rig: Rig) -> None:
    rig.send(*[profile(i, name=f"Ada {MARKER}" if i == 7 else None) for i in range(21)])
    query = f"nurse {MARKER}"
    assert "p7" in rig.people(query) and "p7" in rig.people(query)  # the second answer comes from the cache
    stored = rig.store.get(EntityKind.PROFILE, ["p7"])[0]
    assert MARKER in stored.payload["name"] and MARKER in stored.payload[SUMMARY_KEY]
    assert rig.stack.ranking.cache.holds(EntityKind.PROFILE, "p7")

    rig.send({"op": "delete", "id": "p7", "version": 2})
    assert "p7" not in rig.people(query) and "p7" not in rig.people("registered nurse")
    assert rig.store.get(EntityKind.PROFILE, ["p7"]) == []
    assert not rig.stack.ranking.cache.holds(EntityKind.PROFILE, "p7")
    assert _files_holding(rig.store.root, MARKER), "before the purge the engine still holds freed bytes"

    kept = rig.store.purge_deleted()
    assert _files_holding(rig.store.root, MARKER) == []
    assert sum(kept.values()) == 20 + 1  # 20 live profiles and the tombstone that guards against replays
    assert set(rig.people("registered nurse")) == {f"p{i}" for i in range(21)} - {"p7"}

    rig.send(profile(7, name=f"Ada {MARKER}"))  # the old upsert replayed: stale, the profile stays gone
    assert rig.store.get(EntityKind.PROFILE, ["p7"]) == []
