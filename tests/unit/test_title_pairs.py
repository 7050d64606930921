"""Title-matching training pairs over ESCO labels: grades follow the occupation, candidates are hard."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from semstream.models.data.titles import (
    LabelSet, TitleQuery, build_title_pairs, candidates, is_title_pair, title_grade, vacancy_queries,
)
from semstream.models.embedder import HashEmbedder
from semstream.models.judge.esco import EscoIndex, Occupation

ROWS = [
    {"conceptUri": "u1", "preferredLabel": "software developer", "altLabels": "programmer\ncoder\nsoftware engineer",
     "iscoGroup": "2512"},
    {"conceptUri": "u2", "preferredLabel": "web developer", "altLabels": "web programmer\nfrontend developer",
     "iscoGroup": "2513"},
    {"conceptUri": "u3", "preferredLabel": "systems analyst", "altLabels": "ict systems analyst", "iscoGroup": "2511"},
    {"conceptUri": "u4", "preferredLabel": "baker", "altLabels": "bread maker\npastry baker", "iscoGroup": "7512"},
    {"conceptUri": "u5", "preferredLabel": "head chef", "altLabels": "executive chef", "iscoGroup": "3434"},
    {"conceptUri": "u6", "preferredLabel": "applications programmer", "altLabels": "application developer",
     "iscoGroup": "2514"},
]


def _esco() -> EscoIndex:
    return EscoIndex.from_rows(ROWS)


def _occ(esco: EscoIndex, uri: str):
    return next(o for o in esco.occupations if o.uri == uri)


def test_grade_is_four_only_for_the_queries_own_occupation() -> None:
    esco = _esco()
    query = TitleQuery("coder", _occ(esco, "u1"))
    assert title_grade(query, "software engineer", _occ(esco, "u1")).grade == 4
    assert title_grade(query, "pastry baker", _occ(esco, "u4")).grade == 0


def test_another_occupation_is_a_poor_match_even_when_it_shares_words_or_a_group() -> None:
    esco = _esco()
    query = TitleQuery("web programmer", _occ(esco, "u2"))
    grade = title_grade(query, "programmer", _occ(esco, "u1"))
    assert grade.grade == 0 and "other occupation" in grade.rationale
    same_unit = Occupation("u7", "frontend engineer", (), "2513")
    assert title_grade(query, "frontend engineer", same_unit).grade == 1


def test_candidates_exclude_the_query_text_and_mix_random_labels() -> None:
    esco = _esco()
    embedder = HashEmbedder(64)
    labels = LabelSet.build(esco, embedder)
    query = TitleQuery("programmer", _occ(esco, "u1"))
    picked = candidates(query, labels, embedder.embed(["programmer"])[0], 6, 0.5, random.Random(1))
    texts = [labels.labels[i] for i in picked]
    assert "programmer" not in texts and len(picked) == len(set(picked)) == 6
    order = list(np.argsort(-(labels.vectors @ embedder.embed(["programmer"])[0])))
    dense_head = [labels.labels[i] for i in order if labels.labels[i] != "programmer"][:3]
    assert texts[:3] == dense_head


def test_build_title_pairs_grades_every_pair_and_marks_them(tmp_path: Path) -> None:
    pairs = build_title_pairs(_esco(), HashEmbedder(64), tmp_path, n_queries=6, per_query=4, seed=3)
    assert len(pairs) == 24 and all(is_title_pair(p) for p in pairs)
    assert all(p.payload["title"] == p.item_id.split(":", 1)[1] for p in pairs)
    assert {p.query.text for p in pairs} <= {a for r in ROWS for a in r["altLabels"].splitlines()}


def test_build_title_pairs_draws_only_the_query_texts_keep_accepts(tmp_path: Path) -> None:
    kept = {"programmer", "coder", "bread maker"}
    pairs = build_title_pairs(_esco(), HashEmbedder(64), tmp_path, n_queries=6, per_query=3, seed=3, keep=kept.__contains__)
    assert {p.query.text for p in pairs} == kept


def test_vacancy_queries_read_real_titles_with_their_occupation(tmp_path: Path) -> None:
    folder = tmp_path / "workrb_legacy"
    folder.mkdir()
    (folder / "jobbert_v1_titles.val.csv").write_text(
        "text,label\nJunior Java Dev,software developer\nPizza Baker,baker\nUnknown,not an occupation\n")
    queries = vacancy_queries(_esco(), tmp_path, 10, random.Random(0))
    assert {(q.text, q.occupation.uri) for q in queries} == {("Junior Java Dev", "u1"), ("Pizza Baker", "u4")}
    assert vacancy_queries(_esco(), tmp_path / "absent", 10, random.Random(0)) == []
