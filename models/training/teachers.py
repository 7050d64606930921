"""The two teachers: relevance (judge soft labels + within-query pairwise) and engagement (action rates).

Both are the full backbone (all-MiniLM-L6-v2 run causally, or any local causal LM); the student
keeps fewer layers. The engagement teacher warm-starts from the relevance teacher and has one
yes/no head per action; rows where an action was not observed are masked out of its loss.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from semstream.models.ranker.artifacts import load_scorer, save_scorer
from semstream.models.ranker.backbone import YesNoScorer, answer_token_ids, load_causal_lm, load_tokenizer
from semstream.models.ranker.prompt import PromptEncoder, PromptTemplate
from semstream.models.training import trainer
from semstream.models.training.examples import Example
from semstream.models.training.losses import masked_bce, masked_pairwise, relevance_loss
from semstream.models.training.precision import autocast_dtype
from semstream.models.training.profiles import TrainProfile

DONE = "done.json"


def is_done(directory: Path) -> bool:
    return (directory / DONE).exists()


def mark_done(directory: Path, report: dict[str, Any]) -> None:
    (directory / DONE).write_text(json.dumps(report, indent=1))


def read_done(directory: Path) -> dict[str, Any]:
    return json.loads((directory / DONE).read_text())


def init_scorer(base: Path, n_tasks: int = 1, layers: int | None = None) -> tuple[YesNoScorer, Any]:
    """A fresh scorer from base weights, optionally pruned to its first ``layers`` layers."""
    tokenizer = load_tokenizer(base)
    scorer = YesNoScorer(load_causal_lm(base), *answer_token_ids(tokenizer), n_tasks=n_tasks)
    if layers is not None:
        scorer.keep_first_layers(layers)
    return scorer, tokenizer


def set_tasks(scorer: YesNoScorer, n_tasks: int) -> None:
    """Re-size the head to ``n_tasks`` yes/no pairs, each starting from task 0's trained rows."""
    with torch.no_grad():
        weight, bias = scorer.head_weight[:2].clone(), scorer.head_bias[:2].clone()
    scorer.head_weight = torch.nn.Parameter(weight.repeat(n_tasks, 1))
    scorer.head_bias = torch.nn.Parameter(bias.repeat(n_tasks))
    scorer.n_tasks = n_tasks


def template_for(profile: TrainProfile) -> PromptTemplate:
    return PromptTemplate(max_item_chars=profile.max_chars,
                          occupation_line="Occupation: {occupation}" if profile.occupation_line else "")


def _tensors(examples: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    targets = torch.tensor([ex.targets for ex in examples], dtype=torch.float32)
    mask = torch.tensor([ex.mask for ex in examples], dtype=torch.float32)
    names = {g: i for i, g in enumerate(dict.fromkeys(ex.group for ex in examples))}
    groups = torch.tensor([names[ex.group] for ex in examples])
    return targets, mask, groups


def fit_scorer(scorer: YesNoScorer, tokenizer: Any, examples: Sequence[Example], loss_fn: trainer.LossFn,
         profile: TrainProfile, epochs: int, out: Path, desc: str, progress: bool) -> dict[str, Any]:
    encoder = PromptEncoder(tokenizer, template_for(profile), profile.max_tokens)
    if profile.freeze_embeddings:  # the vocabulary matrix is most of a small model: skip its updates
        scorer.lm.get_input_embeddings().weight.requires_grad_(False)
    rows = trainer.encode_all(encoder, examples)
    plan = trainer.plan_batches(examples, profile.queries_per_batch, profile.items_per_query, epochs, profile.seed,
                                lengths=[len(row) for row in rows])
    stats = trainer.train(
        scorer, rows, plan, loss_fn, lr=profile.lr, head_lr=profile.head_lr,
        ckpt_dir=out / "ckpt", checkpoint_every=profile.checkpoint_every, desc=desc, progress=progress,
        pad_id=int(tokenizer.pad_token_id or 0), autocast=autocast_dtype(profile.train_autocast),
    )
    save_scorer(out / "model", scorer, tokenizer)
    trainer.clear_checkpoint(out / "ckpt")
    return stats


def train_relevance_teacher(examples: Sequence[Example], base: Path, profile: TrainProfile, out: Path,
                            progress: bool = True) -> dict[str, Any]:
    """Soft-label BCE to the judge's P(yes) + pairwise RankNet within each query."""
    if is_done(out):
        return read_done(out)
    torch.manual_seed(profile.seed)
    scorer, tokenizer = init_scorer(base, 1, profile.teacher_layers)
    targets, _, groups = _tensors(examples)

    def loss_fn(z: torch.Tensor, idx: list[int]) -> torch.Tensor:
        return relevance_loss(z, targets[idx], groups[idx], profile.pairwise_weight)

    stats = fit_scorer(scorer, tokenizer, examples, loss_fn, profile, profile.teacher_epochs, out, "relevance teacher", progress)
    report = {"stage": "relevance-teacher", "examples": len(examples), "layers": _layers(scorer), **stats}
    mark_done(out, report)
    return report


def train_engagement_teacher(examples: Sequence[Example], relevance_dir: Path, actions: list[str],
                             profile: TrainProfile, out: Path, progress: bool = True) -> dict[str, Any]:
    """Per-action soft-label BCE to observed rates plus a within-query pairwise term per action, both
    masked where an action was not observed."""
    if is_done(out):
        return read_done(out)
    torch.manual_seed(profile.seed + 1)
    scorer, tokenizer = load_scorer(relevance_dir / "model", n_tasks=1)
    set_tasks(scorer, len(actions))
    targets, mask, groups = _tensors(examples)

    def loss_fn(z: torch.Tensor, idx: list[int]) -> torch.Tensor:
        pairwise = masked_pairwise(z, targets[idx], mask[idx], groups[idx])
        return masked_bce(z, targets[idx], mask[idx]) + profile.pairwise_weight * pairwise

    epochs = profile.engagement_epochs or profile.teacher_epochs
    stats = fit_scorer(scorer, tokenizer, examples, loss_fn, profile, epochs, out, "engagement teacher", progress)
    report = {"stage": "engagement-teacher", "examples": len(examples), "actions": actions, **stats}
    mark_done(out, report)
    return report


def _layers(scorer: YesNoScorer) -> int:
    return int(scorer.lm.config.num_hidden_layers)
