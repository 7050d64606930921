"""The MixLM stage's extra training queries: training side of the query split, none of the judged splits'."""

from __future__ import annotations

from pathlib import Path

from semstream.config import load_settings
from semstream.models.data.judged import group_by_query
from semstream.models.data.queries import held_out
from semstream.models.training.profiles import get_profile
from semstream.models.training.sources import mixlm_pairs
from semstream.schemas import EntityKind


def test_extra_queries_skip_held_out_and_excluded_texts(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", shared_data_dir=tmp_path / "absent")
    profile = get_profile("tiny").model_copy(update={"mixlm_extra_queries": 6, "mixlm_candidates": 5})
    first = group_by_query(mixlm_pairs(settings, profile, exclude=set()))
    excluded = set(list(first)[:3])
    again = group_by_query(mixlm_pairs(settings, profile, exclude=excluded))
    assert {pairs[0].kind for pairs in first.values()} == set(EntityKind)
    assert not excluded & set(again) and len(again) >= len(first) - 1
    assert not any(held_out(text) for text in [*first, *again])
    assert all(len(pairs) == 5 for pairs in again.values())
    assert all(0 <= p.grade <= 4 for pairs in again.values() for p in pairs)
