"""The MixLM stage of training: fit the vector adapter on the student, calibrate it, evaluate it.

Items get the vector ingest stores for them (the bi-encoder over ``item_text``, same token cap);
the teacher is the text student's log-odds on every objective; the target is the judge's P(yes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from semstream.config import Settings
from semstream.models.embedder import Embedder
from semstream.models.ranker.calibration import CalibratorSet, PositionCalibrator
from semstream.models.ranker.mixlm import MixLmRanker
from semstream.models.ranker.mixlm_train import train_mixlm
from semstream.models.ranker.slm import SlmRanker
from semstream.models.training.evaluate import relevance_report
from semstream.models.training.examples import Example, by_group
from semstream.models.training.fusion_fit import fit_fusion, served_scores
from semstream.models.training.precision import autocast_dtype
from semstream.models.training.profiles import TrainProfile
from semstream.models.training.vectors import with_retrieval

Group = tuple[Any, list[Any], np.ndarray, np.ndarray]


def ingest_embedder(settings: Settings) -> Embedder:
    from semstream.models.embedder import TransformerEmbedder

    return TransformerEmbedder(settings.embedder_path, settings.embed_max_tokens, settings.embed_batch_size)


def groups_of(teacher: SlmRanker, examples: Sequence[Example]) -> list[Group]:
    """(query, items, text-ranker log-odds (N, n_tasks), judge P(yes) (N,)) per query."""
    out = []
    for idx in by_group(examples).values():
        query, items = examples[idx[0]].query, [examples[i].item for i in idx]
        out.append((query, items, teacher.log_odds(query, items), np.array([examples[i].targets[0] for i in idx])))
    return out


def raw_relevance(ranker: MixLmRanker, examples: Sequence[Example]) -> np.ndarray:
    out = np.zeros(len(examples))
    for idx in by_group(examples).values():
        out[idx] = ranker.raw_scores(examples[idx[0]].query, [examples[i].item for i in idx])[:, 0]
    return out


def fit_mixlm(student: SlmRanker, train: Sequence[Example], calib: Sequence[Example], test: Sequence[Example],
              profile: TrainProfile, embedder: Embedder, progress: bool = False,
              extra: Sequence[Example] = ()) -> tuple[MixLmRanker, dict[str, Any]]:
    """Adapter (and, when the profile says so, body) fitted on ``train`` and ``extra`` (more training
    queries), calibrated and given its retrieval weight on ``calib`` (which already carries vectors and
    retrieval scores, see ``with_retrieval``), reported on ``test`` (served score, and alone)."""
    extra_pairs = len(extra)
    train, test = with_retrieval([*train, *extra], embedder), with_retrieval(test, embedder)
    mix = MixLmRanker.fresh(student, dim_in=embedder.dim, k=profile.mixlm_soft_tokens, seed=profile.seed,
                            query_product=profile.mixlm_query_product, facts=profile.mixlm_facts_vector)
    history = train_mixlm(mix, groups_of(student, train), epochs=profile.mixlm_epochs, lr=profile.mixlm_lr,
                          align_epochs=profile.mixlm_align_epochs, body_lr=profile.mixlm_body_lr, seed=profile.seed,
                          autocast=autocast_dtype(profile.train_autocast), progress=progress,
                          pairwise_weight=profile.mixlm_pairwise_weight)
    positions = [ex.position for ex in calib]
    mix.calibrators = CalibratorSet({"relevance": PositionCalibrator.fit(
        raw_relevance(mix, calib), [ex.targets[0] for ex in calib], positions)})
    fitted, fusion = fit_fusion(mix, calib)
    mix.set_fusion(fitted)
    report = {"soft_tokens": profile.mixlm_soft_tokens, "query_product": profile.mixlm_query_product,
              "facts_vector": profile.mixlm_facts_vector,
              "tuned_body": profile.mixlm_body_lr is not None, "loss": [round(x, 4) for x in history],
              "train_pairs": len(train), "extra_pairs": extra_pairs, "retrieval_fusion": fusion,
              "test": relevance_report(test, served_scores(mix, test)),
              "test_alone": relevance_report(test, served_scores(mix, test, fused=False))}
    return mix, report
