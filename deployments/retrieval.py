"""The Retrieval stage: embed the query, search with the QU filters, relax them when too few match.

Two reads per request, so the K≈1000 candidates cost ids and scores only:

1. each filter tier searches the top K without any payload or vector (ids, scores, versions);
2. the best ``ship`` of the merged tiers (the most the ranker may score) are fetched by id with
   their vectors and, in serving, only the payload keys ranking and display read
   (``CANDIDATE_FIELDS``): the item text the ranker renders (full-text and summary variants) and
   the fields of an answer item. Offline callers (evaluation) keep whole payloads by default.
   Long texts are cut to ``text_chars`` (``serve_candidate_text_chars``): the ranker reads at most
   its prompt's ``max_item_chars`` of an item, the answer a 240-character snippet.
   With ``collapse`` (``serve_collapse_duplicates``), re-posted duplicates are dropped after the
   first of each (``duplicates.py``) and the next hits are fetched in their place.

With a store behind the index-owner actor both reads travel as ``CompactHits`` columns. A
candidate deleted between the two reads is dropped; ``total`` still counts it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from semstream.models.embedder import Embedder
from semstream.models.facts import FACTS_VECTOR_KEY
from semstream.models.summary import SUMMARY_KEY
from semstream.schemas import EntityKind
from semstream.store.compact import CompactHits
from semstream.store.filters import Filter
from semstream.store.protocol import VectorStore

from semstream.deployments.duplicates import FirstOfEach
from semstream.deployments.items import DISPLAY_FIELDS
from semstream.deployments.logs import log_stage
from semstream.deployments.stages import Candidate, Retrieved, RetrieveRequest, float32_bytes

log = logging.getLogger(__name__)

# What ``semstream.models.item_text.item_text`` renders for either kind, and the ingest summary.
RANK_FIELDS = ("title", "company", "location", "remote", "employment_type", "seniority", "headline",
               "current_title", "current_company", "skills", "description", "summary", SUMMARY_KEY, FACTS_VECTOR_KEY)
CANDIDATE_FIELDS = tuple(dict.fromkeys(RANK_FIELDS + DISPLAY_FIELDS))
LONG_TEXT_FIELDS = ("description", "summary")

Found = tuple[str, float, int]  # (entity id, retrieval score, tier)


class RetrievalService:
    def __init__(self, store: VectorStore, embedder: Embedder, payload_fields: Sequence[str] | None = None,
                 text_chars: int | None = None, collapse: bool = False) -> None:
        """``payload_fields``: the keys candidates carry (None = whole payloads; serving passes
        ``CANDIDATE_FIELDS``); ``text_chars``: long texts are cut to this length (None = whole);
        ``collapse``: ship one candidate per group of re-posted duplicates."""
        self.store = store
        self.embedder = embedder
        self.fields = None if payload_fields is None else tuple(payload_fields)
        self.text_chars = text_chars
        self.collapse = collapse

    def retrieve(self, req: RetrieveRequest) -> Retrieved:
        """Hits for the full filter first, then hits found after each relaxation step (tiers)."""
        started = time.perf_counter()
        vector = [float(x) for x in self.embedder.embed([req.text])[0]]
        found, relaxed = self.search(req, vector)
        shipped, collapsed = self.hand_over(req.kind, found, req.ship)
        log_stage(log, "retrieve", req.request_id, started, found=len(found), relaxed=len(relaxed),
                  collapsed=collapsed)
        return Retrieved(candidates=shipped, total=len(found), relaxed=relaxed, embedder=self.embedder.name,
                         query_vector=float32_bytes(vector), collapsed=collapsed)

    def search(self, req: RetrieveRequest, vector: list[float]) -> tuple[list[Found], list[str]]:
        """Up to ``req.k`` (id, score, tier), stricter tiers first, and the relaxation steps taken."""
        tiers = [self._search(req.kind, vector, req.k, req.flt)]
        relaxed: list[str] = []
        for step in req.relaxations:
            if len({i for t in tiers for i in t.ids}) >= min(req.min_hits, req.k):
                break
            tiers.append(self._search(req.kind, vector, req.k, step.flt))
            relaxed.append(step.name)
        return _merge(tiers, req.k), relaxed

    def fetch(self, kind: EntityKind, found: list[Found]) -> list[Candidate]:
        """Candidates with vectors and the payload keys downstream stages read, in ``found`` order."""
        if not found:
            return []
        got = self.store.get_compact(kind, [i for i, _, _ in found], payload_fields=self.fields, with_vectors=True)
        row = {entity_id: n for n, entity_id in enumerate(got.ids)}
        return [_candidate(got, row[i], score, tier, self.text_chars) for i, score, tier in found if i in row]

    def hand_over(self, kind: EntityKind, found: list[Found], ship: int) -> tuple[list[Candidate], int]:
        """The top ``ship`` candidates for ranking (one per duplicate group with ``collapse``) and how
        many duplicates were left out: each further round fetches as many hits as are still missing."""
        if not self.collapse:
            return self.fetch(kind, found[:ship]), 0
        distinct, start = FirstOfEach(), 0
        while len(distinct.kept) < ship and start < len(found):
            batch = found[start : start + ship - len(distinct.kept)]
            start += len(batch)
            distinct.add(self.fetch(kind, batch))
        return distinct.kept, distinct.collapsed

    def _search(self, kind: EntityKind, vector: list[float], k: int, flt: Filter) -> CompactHits:
        return self.store.search_compact(kind, vector, k, None if flt.is_empty() else flt, payload_fields=())

    def ready(self) -> dict[str, int]:
        """Live documents per kind; raises if the store cannot be reached."""
        return {kind.value: self.store.count(kind) for kind in EntityKind}


def _candidate(got: CompactHits, row: int, score: float, tier: int, text_chars: int | None) -> Candidate:
    """Built without re-validation: the store already returned checked values."""
    payload = got.payloads[row] if text_chars is None else _cut(got.payloads[row], text_chars)
    return Candidate.model_construct(id=got.ids[row], version=int(got.versions[row]), retrieval_score=score,
                                     tier=tier, payload=payload, vector=got.vector_bytes(row))


def _cut(payload: dict[str, Any], chars: int) -> dict[str, Any]:
    long = [k for k in LONG_TEXT_FIELDS if isinstance(payload.get(k), str) and len(payload[k]) > chars]
    return {**payload, **{k: payload[k][:chars] for k in long}} if long else payload


def _merge(tiers: list[CompactHits], k: int) -> list[Found]:
    """Stricter tiers first; a hit keeps the first tier it appeared in; at most ``k``."""
    seen: set[str] = set()
    out: list[Found] = []
    for tier, hits in enumerate(tiers):
        for entity_id, score in zip(hits.ids, hits.scores.tolist()):
            if entity_id not in seen:
                seen.add(entity_id)
                out.append((entity_id, score, tier))
    return out[:k]
