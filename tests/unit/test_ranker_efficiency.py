"""MixLM (vector items) and pruning: batched == reference path, no item text read, training moves scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from semstream.models.embedder import bundled_minilm_path
from semstream.models.ranker.backbone import YesNoScorer, answer_token_ids, load_causal_lm, load_tokenizer
from semstream.models.ranker.mixlm import MixLmRanker
from semstream.models.ranker.mixlm_train import train_mixlm
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.models.ranker.pruning import neuron_scores, prune_scorer
from semstream.models.ranker.slm import SlmRanker
from semstream.schemas import EntityKind


def _tiny(layers: int = 2) -> SlmRanker:
    path = bundled_minilm_path()
    tokenizer = load_tokenizer(path)
    scorer = YesNoScorer(load_causal_lm(path), *answer_token_ids(tokenizer))
    scorer.keep_first_layers(layers)
    return SlmRanker(scorer, tokenizer, max_tokens=96, batch_size=4)


@pytest.fixture(scope="module")
def mix() -> MixLmRanker:
    ranker = MixLmRanker.fresh(_tiny(), seed=1)
    torch.nn.init.normal_(ranker.adapter.proj.weight, std=0.3)  # items must score differently
    ranker.batch_size = 7  # several batches
    return ranker


def _query(seed: int = 99) -> RankQuery:
    """A query as the Ranking stage hands it over: text, hints and retrieval's query vector."""
    return RankQuery(kind=EntityKind.JOB, text="senior python backend in berlin", hints=["remote: remote"],
                     vector=_vectors(1, seed)[0].tolist())


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class ExplodingPayload(dict):
    """A payload that fails on any read: proves the ranker never looks at item text."""

    def _boom(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("item payload read at query time")

    __getitem__ = get = items = keys = values = __iter__ = __contains__ = __len__ = _boom


def test_mixlm_batched_equals_reference(mix: MixLmRanker) -> None:
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(_vectors(17))]
    batched = mix.raw_scores(_query(), items)[:, 0]
    reference = 1.0 / (1.0 + np.exp(-mix.reference_log_odds(_query(), items)[:, 0]))
    assert np.abs(batched - reference).max() < 1e-4
    assert np.ptp(batched) > 1e-5


def test_mixlm_never_reads_item_text(mix: MixLmRanker) -> None:
    vectors = _vectors(5, seed=3)
    plain = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    texty = [RankItem(id=str(i), payload={"title": "Nurse", "description": "x" * 500}, vector=v.tolist())
             for i, v in enumerate(vectors)]
    exploding = [RankItem.model_construct(id=str(i), payload=ExplodingPayload(), vector=v.tolist())
                 for i, v in enumerate(vectors)]
    expected = mix.score(_query(), plain)
    assert mix.score(_query(), texty) == expected
    assert mix.score(_query(), exploding) == expected


def test_a_facts_mixlm_never_reads_item_text_either() -> None:
    ranker = MixLmRanker.fresh(_tiny(1), seed=6, facts=True)
    vectors, facts = _vectors(4, seed=7), _vectors(4, seed=8)
    plain = [RankItem(id=str(i), vector=v.tolist(), facts_vector=f.tolist()) for i, (v, f) in enumerate(zip(vectors, facts))]
    exploding = [RankItem.model_construct(id=str(i), payload=ExplodingPayload(), vector=v.tolist(), facts_vector=f.tolist())
                 for i, (v, f) in enumerate(zip(vectors, facts))]
    assert ranker.score(_query(), exploding) == ranker.score(_query(), plain)


def test_mixlm_protocol_order_and_errors(mix: MixLmRanker) -> None:
    assert isinstance(mix, Ranker) and mix.variant == "mixlm"
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(_vectors(6, seed=5))]
    forward, backward = mix.score(_query(), items), mix.score(_query(), items[::-1])
    assert np.allclose(forward, backward[::-1], atol=1e-6)
    assert mix.score(_query(), []) == []
    with pytest.raises(ValueError, match="without one"):
        mix.score(_query(), [RankItem(id="no-vector")])


def test_the_query_product_adapter_reads_the_query_vector_and_needs_one(mix: MixLmRanker) -> None:
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(_vectors(5, seed=11))]
    assert mix.adapter.query_product
    assert not np.allclose(mix.score(_query(1), items), mix.score(_query(2), items), atol=1e-6)
    with pytest.raises(ValueError, match="query's retrieval vector"):
        mix.score(RankQuery(kind=EntityKind.JOB, text="python"), items)


def test_the_query_product_features_are_the_item_vector_and_its_scaled_product_with_the_query() -> None:
    from semstream.models.ranker.mixlm import VectorAdapter

    items, query = torch.tensor(_vectors(3, seed=4)), torch.tensor(_vectors(1, seed=5)[0])
    features = VectorAdapter(384, 8, query_product=True).features(items, query)
    assert features.shape == (3, 768) and torch.equal(features[:, :384], items)
    assert torch.allclose(features[:, 384:].sum(dim=1) / 384**0.5, items @ query, atol=1e-6)  # sums to the cosine
    assert torch.allclose(features[:, 384:].std(), items.std(), rtol=0.5)  # on the item vector's scale
    assert torch.equal(VectorAdapter(384, 8).features(items, query), items)


def test_an_item_vector_adapter_ignores_the_query_vector() -> None:
    ranker = MixLmRanker.fresh(_tiny(1), seed=3, query_product=False)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(_vectors(4, seed=12))]
    without = _query().model_copy(update={"vector": None})
    assert ranker.score(_query(1), items) == ranker.score(_query(2), items) == ranker.score(without, items)


def test_only_the_query_product_adapter_learns_a_target_set_by_the_query_vector(tmp_path: Path) -> None:
    """Two queries with the same text and items, opposite targets (the sign of q . v): without the
    query vector the adapter sees identical inputs for both and cannot fit them."""
    vectors = _vectors(12, seed=7)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    q = _vectors(1, seed=8)[0]
    groups = [(_query().model_copy(update={"vector": (sign * q).tolist()}), items,
               np.where(sign * vectors @ q > 0, 2.0, -2.0), (sign * vectors @ q > 0).astype(float)) for sign in (1, -1)]

    def error(query_product: bool) -> tuple[float, MixLmRanker]:
        ranker = MixLmRanker.fresh(_tiny(1), seed=2, query_product=query_product)
        train_mixlm(ranker, groups, epochs=40, lr=1e-2)
        return float(np.mean([np.abs(ranker.log_odds(g[0], items)[:, 0] - g[2]).mean() for g in groups])), ranker

    (product_error, product), (item_error, _) = error(True), error(False)
    assert product_error < 0.5 * item_error and item_error > 1.5  # item-only stays near the mean of ±2
    product.save(tmp_path)
    loaded = MixLmRanker.load(tmp_path, product.base)
    assert loaded.adapter.query_product
    assert np.allclose(loaded.score(groups[1][0], items), product.score(groups[1][0], items), atol=1e-6)


def test_mixlm_training_fits_teacher_and_round_trips(tmp_path: Path) -> None:
    ranker = MixLmRanker.fresh(_tiny(1), seed=2)
    vectors = _vectors(12, seed=7)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    teacher = np.where(vectors[:, 0] > 0, 2.0, -2.0)  # a target the vectors determine
    groups = [(_query(), items, teacher, (teacher > 0).astype(float))]
    before = np.abs(ranker.log_odds(_query(), items)[:, 0] - teacher).mean()
    history = train_mixlm(ranker, groups, epochs=40, lr=1e-2)
    after = np.abs(ranker.log_odds(_query(), items)[:, 0] - teacher).mean()
    assert history[-1] < history[0] and after < 0.5 * before
    ranker.save(tmp_path)
    loaded = MixLmRanker.load(tmp_path, ranker.base)
    assert np.allclose(loaded.score(_query(), items), ranker.score(_query(), items), atol=1e-6)


def test_mixlm_pairwise_term_orders_a_query_s_items_by_grade() -> None:
    vectors = _vectors(12, seed=7)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    grade = 0.3 + 0.4 * np.argsort(np.argsort(vectors[:, 0])) / 11  # order by the first coordinate
    groups = [(_query(), items, np.zeros(12), grade)]  # the teacher says nothing: the grades must do it

    def fitted(pairwise: float) -> tuple[list[float], float]:
        ranker = MixLmRanker.fresh(_tiny(1), seed=2)
        history = train_mixlm(ranker, groups, epochs=30, lr=1e-2, pairwise_weight=pairwise)
        z = ranker.log_odds(_query(), items)[:, 0]
        return history, float(np.corrcoef(np.argsort(np.argsort(z)), np.argsort(np.argsort(grade)))[0, 1])

    (with_pairs, rank_corr), (pointwise, _) = fitted(2.0), fitted(0.0)
    assert rank_corr > 0.8
    assert with_pairs[0] > pointwise[0]  # the RankNet term is part of the loss


def test_mixlm_training_in_bf16_autocast_fits_the_teacher_and_keeps_float32_weights() -> None:
    ranker = MixLmRanker.fresh(_tiny(1), seed=2)
    vectors = _vectors(12, seed=7)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    teacher = np.where(vectors[:, 0] > 0, 2.0, -2.0)
    before = np.abs(ranker.log_odds(_query(), items)[:, 0] - teacher).mean()
    history = train_mixlm(ranker, [(_query(), items, teacher, (teacher > 0).astype(float))], epochs=40, lr=1e-2,
                          autocast=torch.bfloat16)
    after = np.abs(ranker.log_odds(_query(), items)[:, 0] - teacher).mean()
    assert all(np.isfinite(history)) and after < 0.5 * before
    assert all(p.dtype == torch.float32 for p in ranker.adapter.parameters())


def test_mixlm_training_shows_progress_over_every_epoch(capsys) -> None:
    ranker = MixLmRanker.fresh(_tiny(1), seed=2)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(_vectors(4, seed=7))]
    groups = [(_query(s), items, np.zeros(4), np.zeros(4)) for s in (1, 2, 3)]
    history = train_mixlm(ranker, groups, epochs=2, align_epochs=1, progress=True)
    err = capsys.readouterr().err
    assert len(history) == 3 and "MixLM adapter" in err and "9/9" in err and f"loss={history[-1]:.4f}" in err


def test_mixlm_served_score_fuses_the_retrieval_score_and_keeps_its_weight(tmp_path: Path) -> None:
    ranker = MixLmRanker.fresh(_tiny(1), seed=2)
    vectors = _vectors(2, seed=3)
    bare = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    alone = ranker.score(_query(), bare)
    ranker.retrieval_weight, ranker.retrieval_center = 6.0, 0.4
    assert ranker.score(_query(), bare) == alone  # no retrieval scores: the ranker alone
    scored = [item.model_copy(update={"retrieval_score": r}) for item, r in zip(bare, (0.9, 0.1))]
    fused = ranker.score(_query(), scored)
    logit = lambda p: np.log(np.asarray(p) / (1 - np.asarray(p)))  # noqa: E731
    assert np.allclose(logit(fused) - logit(alone), [6.0 * 0.5, 6.0 * -0.3], atol=1e-4)
    ranker.save(tmp_path)
    loaded = MixLmRanker.load(tmp_path, ranker.base)
    assert (loaded.retrieval_weight, loaded.retrieval_center) == (6.0, 0.4) and np.allclose(loaded.score(_query(), scored), fused, atol=1e-6)
    ranker.facts_weight, ranker.facts_center = 4.0, 0.1
    ranker.save(tmp_path)
    assert MixLmRanker.load(tmp_path, ranker.base).fusion == ranker.fusion


def test_prune_keeps_strongest_neurons_and_still_scores() -> None:
    ranker = _tiny(2)
    layer = ranker.scorer.body.encoder.layer[0]
    scores = neuron_scores(layer.intermediate.dense, layer.output.dense)
    strongest = layer.intermediate.dense.weight[int(scores.argmax())].detach().clone()
    info = prune_scorer(ranker.scorer, layers=1, mlp_keep=0.25)
    assert info["layers"] == 1 and info["mlp_width"] == 384 and info["params_after"] < info["params_before"]
    kept = ranker.scorer.body.encoder.layer[0].intermediate.dense.weight
    assert kept.shape == (384, 384) and any(torch.equal(row, strongest) for row in kept)
    items = [RankItem(id="a", payload={"title": "Python developer"}), RankItem(id="b", payload={"title": "Chef"})]
    full = ranker.raw_scores(_query(), items, mode="full-text")
    shared = ranker.raw_scores(_query(), items, mode="prefix-shared")
    assert np.abs(full - shared).max() < 1e-4


def test_prune_rejects_bad_share() -> None:
    with pytest.raises(ValueError, match="mlp_keep"):
        prune_scorer(_tiny(1).scorer, mlp_keep=0.0)


def test_registry_serves_mixlm_mode(settings) -> None:
    from semstream.models.ranker.artifacts import RankerConfig, write_artifact
    from semstream.models.ranker.calibration import CalibratorSet
    from semstream.models.ranker.mixlm import MIXLM_DIR
    from semstream.models.ranker.registry import load_ranker, new_version_dir
    from semstream.models.training.teachers import init_scorer

    scorer, tokenizer = init_scorer(bundled_minilm_path(), 1, 1)
    directory = new_version_dir("default", settings)
    write_artifact(directory, scorer, tokenizer, RankerConfig(version=directory.name, backbone="test", layers=1,
                                                              max_tokens=96), CalibratorSet(), {})
    base = load_ranker("default", settings, mode="prefix-shared", dtype="float32")
    fitted = MixLmRanker.fresh(base, seed=4)
    fitted.save(directory / MIXLM_DIR)
    served = load_ranker("default", settings, mode="mixlm", dtype="float32")
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(_vectors(4, seed=9))]
    assert served.variant == "mixlm" and served.version == f"{directory.name}+mixlm"
    assert np.allclose(served.score(_query(), items), fitted.score(_query(), items), atol=1e-6)


def test_mixlm_align_then_tune_body_keeps_the_text_ranker_and_round_trips(tmp_path: Path) -> None:
    from semstream.models.ranker.calibration import CalibratorSet, PositionCalibrator

    base = _tiny(1)
    text_weights = {k: v.clone() for k, v in base.scorer.state_dict().items()}
    ranker = MixLmRanker.fresh(base, seed=4)
    vectors = _vectors(10, seed=9)
    items = [RankItem(id=str(i), vector=v.tolist()) for i, v in enumerate(vectors)]
    teacher = np.stack([np.where(vectors[:, 1] > 0, 1.5, -1.5)], axis=1)  # (N, n_tasks)
    history = train_mixlm(ranker, [(_query(), items, teacher, (teacher[:, 0] > 0).astype(float))],
                          epochs=15, lr=1e-2, align_epochs=5, body_lr=1e-4)
    assert len(history) == 20 and history[-1] < history[0]
    assert ranker.scorer is not base.scorer  # the body copy was tuned, the text ranker's is untouched
    assert all(torch.equal(v, base.scorer.state_dict()[k]) for k, v in text_weights.items())
    raw = ranker.raw_scores(_query(), items)[:, 0]
    ranker.calibrators = CalibratorSet({"relevance": PositionCalibrator.fit(raw, (teacher[:, 0] > 0).astype(float),
                                                                             list(range(10)), min_points=5)})
    ranker.save(tmp_path)
    assert (tmp_path / "body.pt").exists() and (tmp_path / "calibration.json").exists()
    loaded = MixLmRanker.load(tmp_path, base)
    assert np.allclose(loaded.raw_scores(_query(), items), ranker.raw_scores(_query(), items), atol=1e-6)
    assert np.allclose(loaded.score(_query(), items), ranker.score(_query(), items), atol=1e-6)
    assert not np.allclose(loaded.score(_query(), items), raw, atol=1e-3)  # calibrated, not raw


def test_recovery_distillation_pulls_the_pruned_model_towards_the_unpruned_one() -> None:
    from semstream.models.ranker.pruning import recover

    teacher = _tiny(2)
    pruned = _tiny(2)
    prune_scorer(pruned.scorer, layers=1, mlp_keep=0.5)
    items = [RankItem(id=str(i), payload={"title": t}) for i, t in
             enumerate(["Python developer", "Chef", "Nurse", "Data engineer", "Baker", "Go backend engineer"])]
    groups = [(_query(), items)]
    gap = lambda: np.abs(pruned.log_odds(_query(), items) - teacher.log_odds(_query(), items)).mean()  # noqa: E731
    before = gap()
    history = recover(pruned, teacher, groups, epochs=6, lr=1e-3, batch=3)
    assert history[-1] < history[0] and gap() < 0.5 * before
