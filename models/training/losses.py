"""Losses on per-task log-odds ``z`` (B, T). Binary soft-label BCE equals the Bernoulli KL up to the
target's entropy (a constant), so minimising it is minimising KL(target || model)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_bce(z: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean soft-label BCE per task over observed entries, averaged over tasks that have any.

    Averaging per task first keeps a sparse action (few observed rows) from being drowned by a
    dense one, and rows where an action was never observed add nothing (the loss mask).
    """
    per = F.binary_cross_entropy_with_logits(z, targets, reduction="none") * mask
    counts = mask.sum(dim=0)
    present = counts > 0
    if not present.any():
        return z.sum() * 0.0
    return (per.sum(dim=0)[present] / counts[present]).mean()


def pairwise_ranknet(z: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, margin: float = 0.05) -> torch.Tensor:
    """RankNet within each query: for i, j of one group with t_i > t_j + margin, -log sigma(z_i - z_j),
    weighted by t_i - t_j."""
    same = groups.unsqueeze(0) == groups.unsqueeze(1)
    gap = targets.unsqueeze(1) - targets.unsqueeze(0)
    chosen = same & (gap > margin)
    if not chosen.any():
        return z.sum() * 0.0
    diff = z.unsqueeze(1) - z.unsqueeze(0)
    return (F.softplus(-diff[chosen]) * gap[chosen]).sum() / gap[chosen].sum()


def masked_pairwise(z: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """RankNet per task over the rows where that task was observed, averaged over tasks with any pair:
    observed rates are noisy, but which of two items of one query drew more is the signal that counts."""
    terms = []
    for t in range(z.shape[1]):
        rows = mask[:, t] > 0
        if rows.sum() >= 2:
            terms.append(pairwise_ranknet(z[rows, t], targets[rows, t], groups[rows]))
    return torch.stack(terms).mean() if terms else z.sum() * 0.0


def relevance_loss(z: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, pairwise_weight: float) -> torch.Tensor:
    """Soft-label BCE to the judge's P(yes) plus a within-query pairwise term (task 0)."""
    pointwise = F.binary_cross_entropy_with_logits(z[:, 0], targets[:, 0])
    return pointwise + pairwise_weight * pairwise_ranknet(z[:, 0], targets[:, 0], groups)


def distillation_loss(
    z: torch.Tensor, relevance: torch.Tensor, engagement: torch.Tensor, engagement_mask: torch.Tensor, alpha: float
) -> torch.Tensor:
    """alpha * KL(relevance teacher || task 0) + (1 - alpha) * KL(engagement teacher || tasks 1..)."""
    rel = F.binary_cross_entropy_with_logits(z[:, 0], relevance)
    if z.shape[1] == 1:
        return rel
    return alpha * rel + (1 - alpha) * masked_bce(z[:, 1:], engagement, engagement_mask)


def bernoulli_kl(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """KL(Bernoulli(p) || Bernoulli(q)), elementwise; for reports."""
    p, q = p.clamp(eps, 1 - eps), q.clamp(eps, 1 - eps)
    return p * (p / q).log() + (1 - p) * ((1 - p) / (1 - q)).log()
