"""Versioned ranker folders: write, find the newest, load calibrated on the configured device."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from semstream.models.embedder import bundled_minilm_path
from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.artifacts import CONFIG_FILE, RankerConfig, read_config, write_artifact
from semstream.models.ranker.calibration import CalibratorSet, PositionCalibrator
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.models.ranker.registry import (
    ensure_default_ranker, latest_version_dir, load_ranker, new_version_dir, resolved_dtype, versions,
)
from semstream.models.training.teachers import init_scorer, set_tasks
from semstream.schemas import EntityKind

QUERY = RankQuery(kind=EntityKind.JOB, text="python backend engineer", vector=[1.0] + [0.0] * 383)
ITEMS = [RankItem(id=str(i), payload={"title": t, "description": d}) for i, (t, d) in
         enumerate([("Backend Engineer", "Python services"), ("Baker", "Bread at dawn"), ("SRE", "On call")])]


def _write(settings, layers: int = 1) -> Path:
    scorer, tok = init_scorer(bundled_minilm_path(), 1, layers)
    set_tasks(scorer, 2)
    rng = np.random.default_rng(0)
    raw = rng.uniform(0, 1, 300)
    cal = CalibratorSet({"relevance": PositionCalibrator.fit(raw, raw**2, rng.integers(0, 4, 300), min_points=40)})
    directory = new_version_dir("default", settings)
    config = RankerConfig(version=directory.name, backbone="test", layers=layers, max_tokens=96,
                          objectives=["relevance", "click"], metrics={"ndcg@10": 0.5})
    return write_artifact(directory, scorer, tok, config, cal, {"note": "test"})


def test_write_then_load_newest_version(settings) -> None:
    first = _write(settings)
    time.sleep(1.1)
    second = _write(settings, layers=2)
    assert versions("default", settings) == [first.name, second.name]
    assert latest_version_dir("default", settings) == second
    ranker = load_ranker("default", settings)
    assert isinstance(ranker, Ranker)
    # the defaults, mixlm in auto precision: a version without a MixLM adapter serves its text ranker, int8 on the CPU
    assert (settings.ranker_mode, settings.ranker_dtype) == ("mixlm", "auto")
    assert ranker.version == second.name and ranker.variant == "prefix-shared+int8"
    assert ranker.scorer.lm.config.num_hidden_layers == 2 and str(ranker.device) == "cpu"
    assert read_config(second).metrics == {"ndcg@10": 0.5}


def test_loaded_ranker_is_calibrated_and_keeps_raw_objectives(settings) -> None:
    _write(settings)
    ranker = load_ranker("default", settings, mode="full-text")
    raw = ranker.raw_scores(QUERY, ITEMS)
    calibrated = ranker.score(QUERY, ITEMS)
    expected = ranker.calibrators.apply("relevance", raw[:, 0], [0, 1, 2])
    assert np.allclose(calibrated, expected) and not np.allclose(calibrated, raw[:, 0])
    objectives = ranker.score_objectives(QUERY, ITEMS)
    assert set(objectives) == {"relevance", "click"} and np.allclose(objectives["click"], raw[:, 1])


def test_missing_ranker_and_bad_names_are_clear(settings) -> None:
    with pytest.raises(ModelLoadError, match="no trained ranker 'default'"):
        load_ranker("default", settings)
    with pytest.raises(ModelLoadError, match="bad ranker name"):
        load_ranker("../etc", settings)


def test_partial_writes_are_invisible(settings) -> None:
    (settings.data_dir / "models" / "default" / "20990101-000000.partial").mkdir(parents=True)
    assert latest_version_dir("default", settings) is None


def test_ensure_default_ranker_returns_the_existing_version_without_training(settings) -> None:
    written = _write(settings)
    assert ensure_default_ranker(settings, progress=False) == written


def test_device_and_dtype_come_from_settings(settings) -> None:
    _write(settings)
    bf16 = load_ranker("default", settings.model_copy(update={"ranker_dtype": "bfloat16", "ranker_device": "cpu"}))
    assert next(bf16.scorer.lm.parameters()).dtype == torch.bfloat16 and bf16.device.type == "cpu"
    fp32 = load_ranker("default", settings, dtype="float32")
    assert np.allclose(bf16.score(QUERY, ITEMS), fp32.score(QUERY, ITEMS), atol=0.05)
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="cuda"):
            load_ranker("default", settings.model_copy(update={"ranker_device": "cuda"}))


def test_auto_dtype_is_int8_on_the_cpu_and_float32_on_an_accelerator() -> None:
    assert resolved_dtype("auto", "cpu") == "int8" and resolved_dtype("auto", "cuda:1") == "float32"
    assert resolved_dtype("bfloat16", "cpu") == "bfloat16" and resolved_dtype("float32", "cuda") == "float32"


def test_mixlm_mode_loads_the_saved_adapter_or_serves_the_text_ranker(settings, caplog) -> None:
    from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker

    directory = _write(settings)
    with caplog.at_level("WARNING"):
        fallback = load_ranker("default", settings, mode="mixlm", dtype="float32")
    assert fallback.variant == "prefix-shared" and "no MixLM adapter" in caplog.text
    MixLmRanker.fresh(fallback, seed=1).save(directory / MIXLM_DIR)
    mixed = load_ranker("default", settings, mode="mixlm", dtype="float32")
    vector = (np.ones(384) / 384**0.5).tolist()
    assert mixed.variant == "mixlm" and len(mixed.score(QUERY, [RankItem(id="v", vector=vector)])) == 1


def test_cascade_mode_rescores_mixlm_s_top_with_the_text_ranker_or_serves_the_text_ranker(settings) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from semstream.models.ranker.cascade import CascadeRanker
    from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker

    directory = _write(settings)
    assert load_ranker("default", settings, mode="cascade", dtype="float32").variant == "prefix-shared"  # no adapter
    text = load_ranker("default", settings, mode="prefix-shared", dtype="float32")
    MixLmRanker.fresh(text, seed=1).save(directory / MIXLM_DIR)
    deep = settings.model_copy(update={"ranker_cascade_depth": 2})
    cascade = load_ranker("default", deep, mode="cascade", dtype="float32")
    assert isinstance(cascade, CascadeRanker) and cascade.variant == "cascade@2" and cascade.version == directory.name
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(ITEMS), 384))
    items = [it.model_copy(update={"vector": (v / np.linalg.norm(v)).tolist()}) for it, v in zip(ITEMS, vectors)]
    query = QUERY.model_copy(update={"vector": items[0].vector})
    scores = np.asarray(cascade.score(query, items))
    top = np.argsort(-np.asarray(cascade.first.score(query, items)), kind="stable")[:2]
    assert np.allclose(scores[top], text.score(query, [items[i] for i in top]), atol=1e-6)
    assert scores[top].min() > np.delete(scores, top).max()
    quantised = load_ranker("default", deep, mode="cascade", dtype="int8")
    assert quantised.variant == "cascade@2+int8"
    for scorer in (quantised.first.scorer, quantised.second.scorer):
        assert any(isinstance(m, DynamicLinear) for m in scorer.modules())


def test_int8_quantises_every_linear_of_text_and_mixlm_rankers_and_keeps_their_scores(settings) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker

    directory = _write(settings)
    fp32 = load_ranker("default", settings, mode="prefix-shared", dtype="float32")
    int8 = load_ranker("default", settings.model_copy(update={"ranker_dtype": "int8"}), mode="prefix-shared")
    layers = list(int8.scorer.lm.modules())
    assert int8.variant == "prefix-shared+int8" and any(isinstance(m, DynamicLinear) for m in layers)
    assert not any(type(m) is torch.nn.Linear for m in layers)
    # int8 error is bounded here; its effect on NDCG of a trained ranker is what the benchmark measures
    assert np.allclose(int8.raw_scores(QUERY, ITEMS), fp32.raw_scores(QUERY, ITEMS), atol=0.1)
    MixLmRanker.fresh(fp32, seed=1).save(directory / MIXLM_DIR)
    mixed = load_ranker("default", settings.model_copy(update={"ranker_dtype": "int8"}), mode="mixlm")
    vector = [(np.ones(384) / 384**0.5).tolist()]
    reference = load_ranker("default", settings, mode="mixlm", dtype="float32").score(QUERY, [RankItem(id="v", vector=vector[0])])
    assert mixed.variant == "mixlm+int8" and mixed.version == f"{directory.name}+mixlm"
    assert np.allclose(mixed.score(QUERY, [RankItem(id="v", vector=vector[0])]), reference, atol=0.1)


def test_int8_refuses_a_gpu_device_naming_the_alternative(settings) -> None:
    from semstream.models.ranker.quantize import quantize_ranker

    _write(settings)
    ranker = load_ranker("default", settings)
    ranker.device = torch.device("cuda")
    with pytest.raises(ModelLoadError, match="CPU only.*bfloat16"):
        quantize_ranker(ranker)


def test_the_saved_retrieval_weight_fuses_scores_when_items_carry_retrieval_scores(settings) -> None:
    from semstream.models.ranker.fusion import fuse

    directory = _write(settings)
    config = read_config(directory)
    update = {"retrieval_weight": 2.0, "retrieval_center": 0.3}
    (directory / CONFIG_FILE).write_text(config.model_copy(update=update).model_dump_json())
    ranker = load_ranker("default", settings)
    cosines = [0.9, 0.1, 0.5]
    fused = ranker.score(QUERY, [item.model_copy(update={"retrieval_score": c}) for item, c in zip(ITEMS, cosines)])
    alone = ranker.score(QUERY, ITEMS)
    assert ranker.retrieval_weight == 2.0 and np.allclose(fused, fuse(np.array(alone), np.array(cosines), 2.0, 0.3))
    partial = [ITEMS[0].model_copy(update={"retrieval_score": 0.9}), *ITEMS[1:]]
    assert np.allclose(ranker.score(QUERY, partial), alone)  # fused only when every item has a score


def test_the_saved_facts_weight_fuses_the_facts_cosine_of_the_query_vector(settings) -> None:
    from semstream.models.ranker.fusion import fuse

    directory = _write(settings)
    update = {"retrieval_weight": 2.0, "retrieval_center": 0.3, "facts_weight": 5.0, "facts_center": 0.2}
    (directory / CONFIG_FILE).write_text(read_config(directory).model_copy(update=update).model_dump_json())
    ranker = load_ranker("default", settings)
    query = QUERY.model_copy(update={"vector": [1.0, 0.0]})
    cosines, facts = [0.9, 0.1, 0.5], [[0.1, 0.0], [0.7, 0.7], [0.4, 0.9]]
    items = [item.model_copy(update={"retrieval_score": c, "facts_vector": f}) for item, c, f in zip(ITEMS, cosines, facts)]
    alone = ranker.score(query, ITEMS)
    expected = fuse(np.array(alone), np.array(cosines), 2.0, 0.3, np.array([0.1, 0.7, 0.4]), 5.0, 0.2)
    assert ranker.facts_weight == 5.0 and np.allclose(ranker.score(query, items), expected)


def test_ranker_compile_compiles_both_cascade_bodies_and_keeps_the_scores(settings) -> None:
    from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker

    directory = _write(settings)
    text = load_ranker("default", settings, mode="prefix-shared", dtype="float32")
    MixLmRanker.fresh(text, seed=1).save(directory / MIXLM_DIR)
    deep = settings.model_copy(update={"ranker_cascade_depth": 2})
    eager = load_ranker("default", deep, mode="cascade", dtype="float32")
    compiled = load_ranker("default", deep.model_copy(update={"ranker_compile": True}), mode="cascade", dtype="float32")
    for stage in (compiled.first, compiled.second):
        assert isinstance(stage.scorer.body, torch._dynamo.eval_frame.OptimizedModule)
    assert not isinstance(eager.first.scorer.body, torch._dynamo.eval_frame.OptimizedModule)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(ITEMS), 384))
    items = [it.model_copy(update={"vector": (v / np.linalg.norm(v)).tolist()}) for it, v in zip(ITEMS, vectors)]
    query = QUERY.model_copy(update={"vector": items[1].vector})
    assert np.allclose(compiled.score(query, items), eager.score(query, items), atol=1e-5)
    assert compiled.variant == eager.variant
