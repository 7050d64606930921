"""The student: the relevance teacher's first N layers (warm start from the relevance recipe), trained
on alpha * KL(relevance teacher) + (1 - alpha) * KL(engagement teacher).

Task 0 of the student is relevance; tasks 1.. are the engagement actions, so each objective can be
calibrated on its own and the served score stays a calibrated P(relevant).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from semstream.models.ranker.artifacts import load_scorer
from semstream.models.ranker.backbone import YesNoScorer
from semstream.models.ranker.slm import SlmRanker
from semstream.models.training.examples import Example, by_group
from semstream.models.training.losses import distillation_loss
from semstream.models.training.profiles import TrainProfile
from semstream.models.training.teachers import fit_scorer, is_done, mark_done, read_done, set_tasks, template_for


def predict(scorer: YesNoScorer, tokenizer: Any, profile: TrainProfile, examples: Sequence[Example],
            progress: bool = False, desc: str = "scoring") -> np.ndarray:
    """(N, n_tasks) P(yes) per example, scored query by query with the shared-prefix path."""
    from tqdm.auto import tqdm

    names = ["relevance"] + [f"task{i}" for i in range(1, scorer.n_tasks)]
    ranker = SlmRanker(scorer, tokenizer, template_for(profile), profile.max_tokens, objectives=names, batch_size=32)
    out = np.zeros((len(examples), scorer.n_tasks))
    for idx in tqdm(list(by_group(examples).values()), desc=desc, disable=not progress, unit="query"):
        out[idx] = ranker.raw_scores(examples[idx[0]].query, [examples[i].item for i in idx])
    return out


def teacher_targets(examples: Sequence[Example], relevance_dir: Path, engagement_dir: Path, n_actions: int,
                    profile: TrainProfile, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Relevance teacher P(yes) (N,) and engagement teacher P(action) (N, n_actions) for every example."""
    rel, tok = load_scorer(relevance_dir / "model", 1)
    p_rel = predict(rel, tok, profile, examples, progress, "relevance teacher labels")[:, 0]
    eng, tok = load_scorer(engagement_dir / "model", n_actions)
    p_eng = predict(eng, tok, profile, examples, progress, "engagement teacher labels")
    return p_rel, p_eng


def train_student(examples: Sequence[Example], relevance_dir: Path, engagement_dir: Path, actions: list[str],
                  action_mask: np.ndarray, profile: TrainProfile, out: Path, progress: bool = True) -> dict[str, Any]:
    """Distil both teachers into a pruned student; ``action_mask`` (N, n_actions) marks applicable actions."""
    if is_done(out):
        return read_done(out)
    p_rel, p_eng = teacher_targets(examples, relevance_dir, engagement_dir, len(actions), profile, progress)
    torch.manual_seed(profile.seed + 2)
    scorer, tokenizer = load_scorer(relevance_dir / "model", 1)
    scorer.keep_first_layers(min(profile.student_layers, int(scorer.lm.config.num_hidden_layers)))
    set_tasks(scorer, 1 + len(actions))
    rel_t = torch.tensor(p_rel, dtype=torch.float32)
    eng_t, eng_m = torch.tensor(p_eng, dtype=torch.float32), torch.tensor(action_mask, dtype=torch.float32)

    def loss_fn(z: torch.Tensor, idx: list[int]) -> torch.Tensor:
        return distillation_loss(z, rel_t[idx], eng_t[idx], eng_m[idx], profile.alpha)

    stats = fit_scorer(scorer, tokenizer, examples, loss_fn, profile, profile.student_epochs, out, "student", progress)
    report = {"stage": "student", "examples": len(examples), "layers": int(scorer.lm.config.num_hidden_layers),
              "alpha": profile.alpha, "objectives": ["relevance", *actions], **stats}
    mark_done(out, report)
    return report
