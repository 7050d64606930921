"""Versioned ranker folders: write, find the newest, load calibrated on the configured device."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from semstream.models.embedder import bundled_minilm_path
from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.artifacts import RankerConfig, read_config, write_artifact
from semstream.models.ranker.calibration import CalibratorSet, PositionCalibrator
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.models.ranker.registry import ensure_default_ranker, latest_version_dir, load_ranker, new_version_dir, versions
from semstream.models.training.teachers import init_scorer, set_tasks
from semstream.schemas import EntityKind

QUERY = RankQuery(kind=EntityKind.JOB, text="python backend engineer")
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
    assert ranker.version == second.name and ranker.variant == settings.ranker_mode
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
    fp32 = load_ranker("default", settings)
    assert np.allclose(bf16.score(QUERY, ITEMS), fp32.score(QUERY, ITEMS), atol=0.05)
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="cuda"):
            load_ranker("default", settings.model_copy(update={"ranker_device": "cuda"}))


def test_mixlm_mode_loads_the_saved_adapter_or_serves_the_text_ranker(settings, caplog) -> None:
    from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker

    directory = _write(settings)
    with caplog.at_level("WARNING"):
        fallback = load_ranker("default", settings, mode="mixlm")
    assert fallback.variant == "prefix-shared" and "no MixLM adapter" in caplog.text
    MixLmRanker.fresh(fallback, seed=1).save(directory / MIXLM_DIR)
    mixed = load_ranker("default", settings, mode="mixlm")
    vector = (np.ones(384) / 384**0.5).tolist()
    assert mixed.variant == "mixlm" and len(mixed.score(QUERY, [RankItem(id="v", vector=vector)])) == 1
