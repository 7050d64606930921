"""Judge-labelled (query, item) pairs: the relevance teacher's training data and the eval sets.

``build_judged_pairs`` asks a candidate source for items per query (the caller passes dense
retrieval; ``with_random_items`` mixes in random corpus items so low grades occur too) and has a
judge grade each pair. Pairs are saved as JSON lines; ``split_by_query`` keeps all pairs of a
query on one side of a train / held-out split.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from semstream.models.exceptions import ModelError
from semstream.models.judge.schema import Judge, JudgeQuery
from semstream.models.embedder import Embedder
from semstream.schemas import EntityKind
from semstream.store.protocol import VectorStore

Candidate = tuple[str, dict[str, Any]]
CandidatesFn = Callable[[str, int], list[Candidate]]


class JudgedPair(BaseModel):
    """One graded (query, item) pair."""

    kind: EntityKind
    query: JudgeQuery
    item_id: str
    payload: dict[str, Any] = Field(default_factory=dict)
    grade: int = Field(ge=0, le=4)
    p_yes: float = Field(ge=0.0, le=1.0)
    rationale: str = ""


def build_judged_pairs(
    kind: EntityKind,
    queries: Sequence[JudgeQuery],
    candidates_fn: CandidatesFn,
    judge: Judge,
    per_query: int,
) -> list[JudgedPair]:
    """Up to ``per_query`` distinct candidates per query, each graded by the judge."""
    pairs: list[JudgedPair] = []
    for query in queries:
        seen: set[str] = set()
        for item_id, payload in candidates_fn(query.text, per_query):
            if item_id in seen or len(seen) >= per_query:
                continue
            seen.add(item_id)
            verdict = judge.grade(query, kind, payload)
            pairs.append(JudgedPair(kind=kind, query=query, item_id=item_id, payload=payload,
                                    grade=verdict.grade, p_yes=verdict.p_yes, rationale=verdict.rationale))
    return pairs


def dense_candidates(store: VectorStore, embedder: Embedder, kind: EntityKind) -> CandidatesFn:
    """Candidates by dense retrieval over any VectorStore (store-maintained ``_`` keys dropped)."""

    def candidates(query_text: str, k: int) -> list[Candidate]:
        vector = embedder.embed([query_text])[0]
        hits = store.search(kind, vector.tolist(), k)
        return [(h.id, {key: v for key, v in h.payload.items() if not key.startswith("_")}) for h in hits]

    return candidates


def with_random_items(
    candidates_fn: CandidatesFn, pool: Sequence[Candidate], random_fraction: float, seed: int
) -> CandidatesFn:
    """A candidate source that replaces ``random_fraction`` of each list by random pool items.

    The random draw depends only on (seed, query text), so lists are reproducible in any order.
    """
    if not 0.0 <= random_fraction <= 1.0:
        raise ModelError(f"random_fraction must be within [0, 1], got {random_fraction}")

    def mixed(query_text: str, k: int) -> list[Candidate]:
        n_random = min(len(pool), int(round(k * random_fraction)))
        head = candidates_fn(query_text, k - n_random) if k > n_random else []
        taken = {item_id for item_id, _ in head}
        rng = random.Random(_stable_seed(seed, query_text))
        extra: list[Candidate] = []
        for idx in rng.sample(range(len(pool)), len(pool)):
            if len(extra) >= n_random:
                break
            if pool[idx][0] not in taken:
                extra.append(pool[idx])
                taken.add(pool[idx][0])
        return head + extra

    return mixed


def group_by_query(pairs: Iterable[JudgedPair]) -> dict[str, list[JudgedPair]]:
    """Pairs grouped by query text, in first-seen order."""
    groups: dict[str, list[JudgedPair]] = defaultdict(list)
    for pair in pairs:
        groups[pair.query.text].append(pair)
    return dict(groups)


def split_by_query(
    pairs: Sequence[JudgedPair], held_out_fraction: float, seed: int
) -> tuple[list[JudgedPair], list[JudgedPair]]:
    """(train, held_out): a seeded share of queries, with all their pairs, is held out."""
    if not 0.0 <= held_out_fraction <= 1.0:
        raise ModelError(f"held_out_fraction must be within [0, 1], got {held_out_fraction}")
    texts = sorted(group_by_query(pairs))
    random.Random(seed).shuffle(texts)
    held = set(texts[: int(round(len(texts) * held_out_fraction))])
    return [p for p in pairs if p.query.text not in held], [p for p in pairs if p.query.text in held]


def save_pairs(pairs: Iterable[JudgedPair], path: Path | str) -> Path:
    """Write pairs as JSON lines (parent folders created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for pair in pairs:
            f.write(pair.model_dump_json() + "\n")
    return out


def load_pairs(path: Path | str) -> list[JudgedPair]:
    """Read pairs written by ``save_pairs``; a bad line raises ModelError naming file and line."""
    out: list[JudgedPair] = []
    try:
        with Path(path).open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    out.append(_parse_line(line, path, number))
    except OSError as e:
        raise ModelError(f"cannot read judged pairs from {path}: {e}") from e
    return out


def _parse_line(line: str, path: Path | str, number: int) -> JudgedPair:
    try:
        return JudgedPair.model_validate(json.loads(line))
    except (ValueError, ValidationError) as e:
        raise ModelError(f"{path}:{number}: not a judged pair: {e}") from e


def _stable_seed(seed: int, text: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{text}".encode(), digest_size=8).digest(), "little")
