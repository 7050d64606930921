"""Fitting a MixLM adapter: align to the text ranker's log-odds, then add the task loss."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from semstream.models.ranker.mixlm import MixLmRanker
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.training.losses import relevance_loss


def train_mixlm(
    ranker: MixLmRanker,
    groups: Sequence[tuple[RankQuery, Sequence[RankItem], np.ndarray, np.ndarray]],
    epochs: int = 10,
    lr: float = 3e-3,
    task_weight: float = 0.5,
    seed: int = 0,
    align_epochs: int = 0,
    body_lr: float | None = None,
    autocast: torch.dtype | None = None,
    progress: bool = False,
    pairwise_weight: float = 0.0,
) -> list[float]:
    """Fit the adapter: ``align_epochs`` of MSE to the teacher's log-odds, then ``epochs`` of MSE +
    ``task_weight`` x (BCE to the grade label + ``pairwise_weight`` x RankNet within the query); with
    ``body_lr`` the task epochs also tune a private copy of the body and head. ``autocast`` runs the
    forward passes in that dtype (weights stay float32); ``progress`` shows a bar over every epoch's
    queries with the last epoch's loss.

    ``groups`` = (query, items, teacher log-odds (N,) or (N, n_tasks), grade target in [0, 1] (N,)).
    Returns the mean loss per epoch.
    """
    from tqdm.auto import tqdm

    rng, history = random.Random(seed), []
    prepared = [(q, ranker.features(q, items), torch.tensor(t, dtype=torch.float32), torch.tensor(g, dtype=torch.float32))
                for q, items, t, g in groups]
    bar = tqdm(total=(align_epochs + epochs) * len(prepared), desc="MixLM adapter", unit="query", disable=not progress)
    for phase_epochs, weight, tune in ((align_epochs, 0.0, False), (epochs, task_weight, body_lr is not None)):
        if phase_epochs == 0:
            continue
        optimiser = _optimiser(ranker, lr, body_lr if tune else None)
        ranker.adapter.train()
        for _ in range(phase_epochs):
            rng.shuffle(prepared)
            history.append(float(np.mean([_step(ranker, optimiser, group, weight, pairwise_weight, autocast, bar)
                                          for group in prepared])))
            bar.set_postfix(loss=f"{history[-1]:.4f}")
    bar.close()
    ranker.adapter.eval()
    ranker.scorer.eval()
    for p in ranker.scorer.parameters():
        p.requires_grad_(False)
    return history


def _optimiser(ranker: MixLmRanker, lr: float, body_lr: float | None) -> torch.optim.Optimizer:
    if body_lr is not None:
        ranker.own_body()
    for p in ranker.scorer.parameters():
        p.requires_grad_(body_lr is not None)
    params = [{"params": list(ranker.adapter.parameters()), "lr": lr}]
    if body_lr is not None:
        ranker.scorer.train()
        params.append({"params": [p for p in ranker.scorer.parameters() if p.requires_grad], "lr": body_lr})
    return torch.optim.AdamW(params, weight_decay=1e-4)


def _step(ranker: MixLmRanker, optimiser: torch.optim.Optimizer, group: tuple, task_weight: float,
          pairwise_weight: float = 0.0, autocast: torch.dtype | None = None, bar: Any = None) -> float:
    query, features, teacher, target = group
    with torch.autocast(ranker.device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
        with torch.no_grad():
            cache, prefix_len = ranker.prefix_cache(query)
        pred = ranker.forward_items(cache, prefix_len, features).float()
    pred = pred[:, : teacher.shape[1]] if teacher.dim() == 2 else pred[:, 0]
    loss = nn.functional.mse_loss(pred, teacher)
    if task_weight:
        relevance = (pred[:, 0] if pred.dim() == 2 else pred).unsqueeze(1)
        same_query = torch.zeros(len(target), dtype=torch.long, device=pred.device)
        loss = loss + task_weight * relevance_loss(relevance, target.unsqueeze(1), same_query, pairwise_weight)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    if bar is not None:
        bar.update()
    return float(loss.detach())
