"""Structured pruning of a ranker's body: fewer layers and narrower MLPs, chosen by weight magnitude.

``prune_scorer`` keeps the first ``layers`` transformer layers (the student already runs the first
layers of its base, so later layers are the cheapest to lose) and, in every kept layer, the MLP
neurons whose input row and output column have the largest L2-norm product. The pruned scorer is a
plain Hugging Face model again (the config's ``intermediate_size`` is updated), so it saves and
loads like any other ranker. ``recover`` then distils the unpruned ranker back into the pruned one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from torch import nn

from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.backbone import YesNoScorer, _layer_list
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker, pad_right


def _mlp(layer: nn.Module) -> tuple[nn.Module, str, nn.Linear, nn.Module, str, nn.Linear]:
    """(owner, attr, up-projection, owner, attr, down-projection) of one layer's MLP (BERT or Llama style)."""
    if hasattr(layer, "intermediate") and hasattr(layer, "output"):
        return layer.intermediate, "dense", layer.intermediate.dense, layer.output, "dense", layer.output.dense
    raise ModelLoadError(f"MLP pruning supports BERT-style layers only, not {type(layer).__name__}")


def neuron_scores(up: nn.Linear, down: nn.Linear) -> torch.Tensor:
    """Importance of each hidden MLP neuron: |incoming row| * |outgoing column|."""
    return up.weight.detach().norm(dim=1) * down.weight.detach().norm(dim=0)


def _narrow(linear: nn.Linear, keep: torch.Tensor, dim: int) -> nn.Linear:
    """A copy of ``linear`` keeping ``keep`` along its output (dim 0) or input (dim 1) features."""
    weight = linear.weight.detach().index_select(dim, keep).clone()
    out_f, in_f = weight.shape
    new = nn.Linear(in_f, out_f, bias=linear.bias is not None, dtype=weight.dtype, device=weight.device)
    with torch.no_grad():
        new.weight.copy_(weight)
        if linear.bias is not None:
            new.bias.copy_(linear.bias.detach() if dim == 1 else linear.bias.detach()[keep])
    return new


def prune_mlp(layer: nn.Module, keep_share: float) -> int:
    """Keep the top ``keep_share`` of the layer's MLP neurons; returns the new width."""
    up_owner, up_attr, up, down_owner, down_attr, down = _mlp(layer)
    width = max(1, int(round(up.out_features * keep_share)))
    keep = torch.sort(torch.topk(neuron_scores(up, down), width).indices).values
    setattr(up_owner, up_attr, _narrow(up, keep, 0))
    setattr(down_owner, down_attr, _narrow(down, keep, 1))
    return width


def prune_scorer(scorer: YesNoScorer, layers: int | None = None, mlp_keep: float = 1.0) -> dict[str, int | float]:
    """Prune in place; returns what was kept (layers, MLP width, parameter counts before/after)."""
    if not 0.0 < mlp_keep <= 1.0:
        raise ValueError(f"mlp_keep must be within (0, 1], got {mlp_keep}")
    before = sum(p.numel() for p in scorer.parameters())
    if layers is not None:
        scorer.keep_first_layers(layers)
    body_layers, _, _ = _layer_list(scorer.body)
    width = _mlp(body_layers[0])[2].out_features
    if mlp_keep < 1.0:
        width = min(prune_mlp(layer, mlp_keep) for layer in body_layers)
        for config in {id(scorer.lm.config): scorer.lm.config, id(scorer.body.config): scorer.body.config}.values():
            config.intermediate_size = width
    after = sum(p.numel() for p in scorer.parameters())
    return {"layers": len(body_layers), "mlp_width": width, "mlp_keep": mlp_keep, "params_before": before, "params_after": after}


def recover(pruned: SlmRanker, teacher: SlmRanker, groups: Sequence[tuple[RankQuery, Sequence[RankItem]]],
            epochs: int = 2, lr: float = 5e-5, batch: int = 16, seed: int = 0) -> list[float]:
    """Recovery distillation: train the pruned ranker on the unpruned one's log-odds (MSE, every
    objective) over the given queries' items, full-text path. Returns the mean loss per epoch."""
    targets = [torch.tensor(teacher.log_odds(q, items), dtype=torch.float32) for q, items in groups]
    rows = [(q, item, t) for (q, items), ts in zip(groups, targets) for item, t in zip(items, ts)]
    params = [p for p in pruned.scorer.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    rng, history = random.Random(seed), []
    pruned.scorer.train()
    for _ in range(epochs):
        rng.shuffle(rows)
        history.append(sum(_recover_step(pruned, optimiser, rows[s : s + batch]) for s in range(0, len(rows), batch))
                       / max(1, -(-len(rows) // batch)))
    pruned.scorer.eval()
    return history


def _recover_step(pruned: SlmRanker, optimiser: torch.optim.Optimizer, rows: list) -> float:
    ids, mask = pad_right([pruned.encoder.full(q, [item])[0] for q, item, _ in rows], pruned.pad_id)
    loss = nn.functional.mse_loss(pruned.scorer(ids.to(pruned.device), mask.to(pruned.device)),
                                  torch.stack([t for _, _, t in rows]).to(pruned.device))
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.detach())
