"""Title-matching judged pairs from public taxonomies: the ranker learns which job titles name the same work.

Queries are ESCO alternative labels and real vacancy titles (JobBERT's training split, each with its
ESCO occupation); items are ESCO occupation labels as job titles (``{"title": label}``), found by
dense retrieval over every label (hard negatives) plus a share of random labels. A title query asks
for one occupation, so grades follow the occupation known on both sides: 4 for any label of the
query's own occupation (however different its words), 1 for a label of another occupation in the
same ISCO unit group, 0 for any other label (however many words it shares).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from semstream.models.data.judged import JudgedPair
from semstream.models.embedder import Embedder
from semstream.models.judge.esco import EscoIndex, Occupation
from semstream.models.judge.schema import Grade, JudgeQuery
from semstream.schemas import EntityKind
from semstream.shared_data import JOBBERT_VAL

ITEM_PREFIX = "esco-label:"
Keep = Callable[[str], bool] | None  # which query texts to draw (see queries.held_out)


@dataclass(frozen=True)
class TitleQuery:
    text: str
    occupation: Occupation


@dataclass(frozen=True)
class LabelSet:
    """Every ESCO label once, with its occupation and its embedding."""

    labels: list[str]
    owners: list[Occupation]
    vectors: np.ndarray

    @classmethod
    def build(cls, esco: EscoIndex, embedder: Embedder, cache_dir: Path | None = None) -> LabelSet:
        from semstream.models.eval.cache import embed_cached

        seen: dict[str, Occupation] = {}
        for occ in esco.occupations:
            for label in occ.labels:
                seen.setdefault(label, occ)
        labels = sorted(seen)
        vectors, _ = embed_cached(embedder, labels, cache_dir, "esco-labels")
        return cls(labels, [seen[label] for label in labels], vectors)


def esco_queries(esco: EscoIndex, n: int, rng: random.Random, keep: Keep = None) -> list[TitleQuery]:
    """Alternative labels as queries (an occupation's other labels are its relevant items)."""
    pool = [TitleQuery(alt, occ) for occ in esco.occupations for alt in occ.alt_labels if keep is None or keep(alt)]
    return rng.sample(pool, min(n, len(pool)))


def vacancy_queries(esco: EscoIndex, shared_dir: Path, n: int, rng: random.Random, keep: Keep = None) -> list[TitleQuery]:
    """Real vacancy titles with their annotated ESCO occupation; [] when the file is absent."""
    path = shared_dir / JOBBERT_VAL
    if not path.is_file():
        return []
    by_label = {occ.preferred.lower(): occ for occ in esco.occupations}
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(r["text"].strip(), by_label.get(r["label"].strip().lower())) for r in csv.DictReader(f)]
    pool = [TitleQuery(text, occ) for text, occ in rows if text and occ is not None and (keep is None or keep(text))]
    return rng.sample(pool, min(n, len(pool)))


def title_grade(query: TitleQuery, label: str, owner: Occupation) -> Grade:
    """4 for the query's own occupation, 1 for another in its ISCO unit group, else 0."""
    if owner.uri == query.occupation.uri:
        return Grade.of(4, f"'{label}' is a label of '{query.occupation.preferred}' -> 4")
    grade = 1 if _same_group(query.occupation, owner, 4) else 0
    return Grade.of(grade, f"other occupation '{owner.preferred}' (ISCO {owner.isco or '?'}) -> {grade}")


def _same_group(a: Occupation, b: Occupation, digits: int) -> bool:
    return bool(a.isco and b.isco and a.isco[:digits] == b.isco[:digits])


def candidates(query: TitleQuery, labels: LabelSet, query_vector: np.ndarray, per_query: int,
               random_share: float, rng: random.Random) -> list[int]:
    """Dense top labels (the query's own text excluded) plus random ones."""
    n_random = int(round(per_query * random_share))
    order = np.argsort(-(labels.vectors @ query_vector))
    head = [int(i) for i in order[: per_query + 1] if labels.labels[i].lower() != query.text.lower()]
    head = head[: per_query - n_random]
    total = len(labels.labels)
    tail = [i for i in rng.sample(range(total), min(total, n_random + len(head) + 1))
            if i not in head and labels.labels[i].lower() != query.text.lower()]
    return head + tail[:n_random]


def build_title_pairs(esco: EscoIndex, embedder: Embedder, shared_dir: Path, n_queries: int, per_query: int,
                      seed: int, random_share: float = 0.2, cache_dir: Path | None = None,
                      keep: Keep = None) -> list[JudgedPair]:
    """About ``n_queries`` title queries (half ESCO, half real vacancy titles when present), graded;
    with ``keep``, only query texts it accepts."""
    rng = random.Random(seed)
    queries = vacancy_queries(esco, shared_dir, n_queries // 2, rng, keep)
    queries += esco_queries(esco, n_queries - len(queries), rng, keep)
    labels = LabelSet.build(esco, embedder, cache_dir)
    vectors = np.asarray(embedder.embed([q.text for q in queries]), dtype=np.float32)
    return [pair for q, v in zip(queries, vectors) for pair in _pairs(q, v, labels, per_query, random_share, rng)]


def _pairs(query: TitleQuery, vector: np.ndarray, labels: LabelSet, per_query: int, random_share: float,
           rng: random.Random) -> list[JudgedPair]:
    out = []
    for i in candidates(query, labels, vector, per_query, random_share, rng):
        grade = title_grade(query, labels.labels[i], labels.owners[i])
        out.append(JudgedPair(kind=EntityKind.JOB, query=JudgeQuery(text=query.text, role=query.text),
                              item_id=f"{ITEM_PREFIX}{labels.labels[i]}", payload={"title": labels.labels[i]},
                              grade=grade.grade, p_yes=grade.p_yes, rationale=grade.rationale))
    return out


def is_title_pair(pair: JudgedPair) -> bool:
    return pair.item_id.startswith(ITEM_PREFIX)


def grade_counts(pairs: Sequence[JudgedPair]) -> dict[int, int]:
    return {g: sum(p.grade == g for p in pairs) for g in range(5)}
