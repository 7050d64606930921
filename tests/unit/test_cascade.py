"""The cascade ranker: MixLM over every candidate, the text ranker over its top ``depth`` only."""

from __future__ import annotations

import numpy as np
import pytest

from semstream.models.ranker.cascade import CascadeRanker, below
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.schemas import EntityKind


class TableRanker:
    """Scores from a table by item id; records which ids it was asked about."""

    def __init__(self, table: dict[str, float], version: str = "v1") -> None:
        self.table, self.seen, self.version, self.name, self.precision = table, [], version, "default", ""

    def tagged(self, mode: str) -> str:
        return f"{mode}+{self.precision}" if self.precision else mode

    def score(self, query: RankQuery, items: list[RankItem]) -> list[float]:
        self.seen.append([item.id for item in items])
        return [self.table[item.id] for item in items]


QUERY = RankQuery(kind=EntityKind.JOB, text="data engineer")
ITEMS = [RankItem(id=str(i)) for i in range(8)]
COARSE = {str(i): s for i, s in enumerate([0.9, 0.1, 0.8, 0.7, 0.2, 0.6, 0.3, 0.4])}
FINE = {str(i): s for i, s in enumerate([0.2, 0.0, 0.95, 0.5, 0.0, 0.1, 0.0, 0.0])}


def test_text_ranker_reads_only_the_top_depth_and_decides_their_order() -> None:
    first, second = TableRanker(COARSE), TableRanker(FINE)
    scores = CascadeRanker(first, second, depth=3).score(QUERY, ITEMS)
    assert first.seen == [[item.id for item in ITEMS]]
    assert second.seen == [["0", "2", "3"]]  # MixLM's top three, best first
    order = [ITEMS[i].id for i in np.argsort(-np.asarray(scores), kind="stable")]
    assert order == ["2", "3", "0", "5", "7", "6", "4", "1"]  # text order on top, MixLM order below
    assert scores[2] == 0.95 and max(scores[i] for i in (1, 4, 5, 6, 7)) < 0.2


def test_cascade_names_its_depth_and_precision_and_rejects_a_bad_depth() -> None:
    ranker = CascadeRanker(TableRanker(COARSE), TableRanker(FINE, version="v7"), depth=16)
    assert ranker.variant == "cascade@16" and ranker.version == "v7"
    ranker.precision = "int8"
    assert ranker.variant == "cascade@16+int8" and ranker.first.precision == ranker.second.precision == "int8"
    assert CascadeRanker(TableRanker(COARSE), TableRanker(FINE), depth=16).score(QUERY, []) == []
    with pytest.raises(ValueError, match="depth"):
        CascadeRanker(TableRanker(COARSE), TableRanker(FINE), depth=0)


def test_below_keeps_the_order_under_the_floor() -> None:
    scores = np.array([0.9, 0.3, 0.5, 0.0])
    out = below(scores, 0.2)
    assert list(np.argsort(-out)) == list(np.argsort(-scores)) and out.max() < 0.2 and out.min() >= 0.0
    assert not below(np.zeros(3), 0.5).any()
