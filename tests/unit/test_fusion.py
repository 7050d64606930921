"""The served score's fusion with the retrieval and facts cosines and how training picks the weights."""

from __future__ import annotations

import numpy as np
import pytest

from semstream.models.embedder import HashEmbedder
from semstream.models.ranker.fusion import Fusion, fuse, fuse_items, saved_fusion
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.training.evaluate import mean_ndcg
from semstream.models.training.examples import Example
from semstream.models.training.fusion_fit import fit_fusion
from semstream.models.training.vectors import facts_scores, retrieval_scores, with_retrieval
from semstream.schemas import EntityKind

QUERY = RankQuery(kind=EntityKind.JOB, text="pastry chef")


def test_fuse_is_the_relevance_at_weight_zero_and_increasing_in_both_inputs() -> None:
    p = np.array([0.2, 0.5, 0.9])
    assert np.allclose(fuse(p, np.array([0.9, 0.1, 0.3]), 0.0), p)
    fused = fuse(np.array([0.5, 0.5, 0.6]), np.array([0.2, 0.8, 0.8]), 3.0)
    assert fused[1] > fused[0] and fused[2] > fused[1] and np.all((fused > 0) & (fused < 1))


class FlatRanker:
    """Gives every item the same relevance (ties keep the worst order): only the cosine can order them."""

    retrieval_weight = 0.0

    def score(self, query: RankQuery, items: list[RankItem]) -> list[float]:
        assert all(item.retrieval_score is None for item in items)  # fitting sees the ranker alone
        return [0.5] * len(items)


def _examples() -> list[Example]:
    titles = [("truck driver", 0), ("accountant", 0), ("pastry chef assistant", 3), ("pastry chef", 4)]
    return [Example(group="q", query=QUERY, item=RankItem(id=f"i{k}", payload={"title": t}), targets=[g / 4],
                    mask=[1.0], grade=g) for k, (t, g) in enumerate(titles)]


def test_retrieval_scores_are_query_item_cosines() -> None:
    examples = with_retrieval(_examples(), HashEmbedder(64))
    cos = retrieval_scores(examples)
    assert cos[3] == pytest.approx(1.0, abs=1e-5) and cos[3] > cos[0]
    assert all(len(ex.item.vector) == 64 for ex in examples)
    query_vector = HashEmbedder(64).embed([examples[0].query.text])[0]
    assert all(ex.query.vector == pytest.approx(list(query_vector), abs=1e-6) for ex in examples)
    with pytest.raises(ValueError, match="i0"):
        retrieval_scores(_examples())


def test_the_weight_is_chosen_where_the_cosine_fixes_a_flat_ranker() -> None:
    examples = with_retrieval(_examples(), HashEmbedder(64))
    fusion, table = fit_fusion(FlatRanker(), examples, grid=(0.0, 2.0), facts_grid=())
    assert fusion.weight == 2.0 and fusion.facts_weight == 0.0
    assert table["calib_ndcg@10"]["2,0"] > table["calib_ndcg@10"]["0,0"]
    assert fusion.center == pytest.approx(retrieval_scores(examples).mean(), abs=1e-4) and table["center"] == fusion.center
    assert mean_ndcg(examples, np.array([0.0, 0.0, 3.0, 4.0])) == pytest.approx(1.0)


def test_the_facts_weight_is_chosen_where_only_the_facts_cosine_orders_the_items() -> None:
    """Item texts that all read alike (one long shared text) and titles that differ: the retrieval
    cosine cannot order them, the facts cosine (head and skills only) can."""
    filler = " ".join(["we are a friendly team offering great benefits"] * 30)
    examples = [Example(group="q", query=QUERY, item=RankItem(id=f"i{k}", payload={"title": t, "description": filler}),
                        targets=[g / 4], mask=[1.0], grade=g)
                for k, (t, g) in enumerate([("truck driver", 0), ("accountant", 0), ("pastry chef", 4)])]
    examples = with_retrieval(examples, HashEmbedder(64))
    assert np.ptp(facts_scores(examples)) > 5 * np.ptp(retrieval_scores(examples))
    fusion, table = fit_fusion(FlatRanker(), examples, grid=(0.0,), facts_grid=(0.0, 3.0))
    assert fusion == Fusion(0.0, fusion.center, 3.0, round(float(facts_scores(examples).mean()), 4))
    assert table["calib_ndcg@10"]["0,3"] == pytest.approx(1.0) and table["calib_ndcg@10"]["0,0"] < 1.0


def test_fusion_that_gains_less_than_min_gain_over_the_ranker_alone_is_off() -> None:
    examples = with_retrieval(_examples(), HashEmbedder(64))
    _, table = fit_fusion(FlatRanker(), examples, grid=(2.0,), facts_grid=())
    gain = table["calib_ndcg@10"]["2,0"] - table["calib_ndcg@10"]["0,0"]
    assert gain > 0
    assert fit_fusion(FlatRanker(), examples, grid=(2.0,), facts_grid=(), min_gain=gain - 1e-6)[0].weight == 2.0
    fusion, table = fit_fusion(FlatRanker(), examples, grid=(2.0,), facts_grid=(), min_gain=gain + 1e-6)
    assert fusion == Fusion(0.0, fusion.center, 0.0, fusion.facts_center) and table["weight"] == 0.0


def test_fuse_items_needs_a_weight_and_every_items_retrieval_score() -> None:
    scored = [RankItem(id="a", retrieval_score=0.9), RankItem(id="b", retrieval_score=0.1)]
    assert fuse_items([0.5, 0.5], scored, Fusion()) == [0.5, 0.5]
    assert fuse_items([0.5, 0.5], [scored[0], RankItem(id="c")], Fusion(4.0)) == [0.5, 0.5]
    high, low = fuse_items([0.5, 0.5], scored, Fusion(4.0))
    assert high > low > 0.5 and high == pytest.approx(1 / (1 + np.exp(-3.6)))
    high, low = fuse_items([0.5, 0.5], scored, Fusion(4.0, center=0.5))  # centred: the mean cosine keeps p
    assert high > 0.5 > low and high == pytest.approx(1 - low)


def test_fuse_items_adds_the_facts_cosine_when_the_query_and_every_item_have_the_vectors() -> None:
    query = QUERY.model_copy(update={"vector": [1.0, 0.0]})
    items = [RankItem(id="a", retrieval_score=0.5, facts_vector=[0.2, 0.9]),
             RankItem(id="b", retrieval_score=0.5, facts_vector=[0.8, 0.1])]
    fusion = Fusion(1.0, 0.5, facts_weight=2.0, facts_center=0.5)
    low, high = fuse_items([0.5, 0.5], items, fusion, query)
    assert low == pytest.approx(1 / (1 + np.exp(0.6))) and high == pytest.approx(1 / (1 + np.exp(-0.6)))
    assert fuse_items([0.5, 0.5], items, fusion) == [0.5, 0.5]  # no query vector: the facts term is off
    partial = [items[0], items[1].model_copy(update={"facts_vector": None})]
    assert fuse_items([0.5, 0.5], partial, fusion, query) == [0.5, 0.5]
    alone = [item.model_copy(update={"retrieval_score": None}) for item in items]
    assert fuse_items([0.5, 0.5], alone, fusion, query) == [0.5, 0.5]  # the ranker alone: no retrieval at all
    assert saved_fusion({"retrieval_weight": 1.0, "retrieval_center": 0.5}) == Fusion(1.0, 0.5)


class Recording:
    fuses = True

    def score(self, query: RankQuery, items: list[RankItem]) -> list[float]:
        self.handed = [item.retrieval_score for item in items]
        self.query_vector = query.vector
        return [0.5] * len(items)


def test_the_evaluation_scorer_hands_the_ranker_cosines_only_with_an_embedder() -> None:
    from semstream.models.eval.rankers import ranker_scorer
    from semstream.models.judge.schema import JudgeQuery

    embedder = HashEmbedder(64)
    vectors = dict(zip(["a", "b"], embedder.embed(["pastry chef", "truck driver"])))
    items = [("a", {"title": "pastry chef"}), ("b", {"title": "truck driver"})]
    ranker = Recording()
    ranker_scorer(ranker, EntityKind.JOB, vectors, embedder)(JudgeQuery(text="pastry chef"), items)
    assert ranker.handed[0] == pytest.approx(1.0, abs=1e-5) and ranker.handed[1] < ranker.handed[0]
    assert ranker.query_vector == pytest.approx(list(vectors["a"]), abs=1e-6)
    ranker_scorer(ranker, EntityKind.JOB, vectors, embedder, fused=False)(JudgeQuery(text="pastry chef"), items)
    assert ranker.handed == [None, None] and ranker.query_vector is not None  # alone: no cosine, still the vector
    ranker_scorer(ranker, EntityKind.JOB, vectors)(JudgeQuery(text="pastry chef"), items)
    assert ranker.handed == [None, None] and ranker.query_vector is None
