"""One training loop for teachers and student: query-grouped batches, progress bar, resumable checkpoints.

The batch plan is a pure function of the examples and the seed, so a restarted run skips the
steps its checkpoint already covers and continues exactly where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from semstream.models.ranker.backbone import YesNoScorer
from semstream.models.ranker.prompt import PromptEncoder
from semstream.models.ranker.slm import pad_right
from semstream.models.training.examples import Example, by_group

LossFn = Callable[[torch.Tensor, list[int]], torch.Tensor]
CHECKPOINT = "checkpoint.pt"


def plan_batches(examples: Sequence[Example], queries_per_batch: int, items_per_query: int, epochs: int, seed: int,
                 lengths: Sequence[int] | None = None) -> list[list[int]]:
    """Each batch: up to ``queries_per_batch`` query groups x ``items_per_query`` items each.

    With ``lengths`` (tokens per example), a batch joins query chunks of similar length, so short rows
    are not padded to a long neighbour's length; the batches are then shuffled."""
    rng = random.Random(seed)
    groups = list(by_group(examples).values())
    plan: list[list[int]] = []
    for _ in range(epochs):
        chunks = []
        for members in groups:
            members = members[:]
            rng.shuffle(members)
            chunks += [members[i : i + items_per_query] for i in range(0, len(members), items_per_query)]
        rng.shuffle(chunks)
        if lengths is not None:
            chunks.sort(key=lambda chunk: max(lengths[i] for i in chunk))  # stable: ties keep the shuffle
        batches = [sum(chunks[i : i + queries_per_batch], []) for i in range(0, len(chunks), queries_per_batch)]
        if lengths is not None:
            rng.shuffle(batches)
        plan += batches
    return plan


def encode_all(encoder: PromptEncoder, examples: Sequence[Example]) -> list[list[int]]:
    """Token ids of every example's full prompt, computed once for all epochs."""
    return [encoder.full(ex.query, [ex.item])[0] for ex in examples]


def encode_batch(rows: Sequence[list[int]], idx: Sequence[int], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    return pad_right([rows[i] for i in idx], pad_id)


def _plan_digest(plan: list[list[int]]) -> str:
    return hashlib.sha256(json.dumps(plan).encode()).hexdigest()[:16]


def _optimizer(scorer: YesNoScorer, lr: float, head_lr: float, total: int) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    head = [scorer.head_weight, scorer.head_bias]
    body = [p for n, p in scorer.named_parameters() if not n.startswith("head_") and p.requires_grad]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01)
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.05, (total - s) / max(1, total - warm))))
    return opt, sched


def train(
    scorer: YesNoScorer,
    rows: Sequence[list[int]],
    plan: list[list[int]],
    loss_fn: LossFn,
    *,
    lr: float,
    head_lr: float,
    ckpt_dir: Path,
    checkpoint_every: int,
    desc: str,
    progress: bool = True,
    pad_id: int = 0,
    autocast: torch.dtype | None = None,
) -> dict[str, float]:
    """Run ``plan`` over the token ``rows`` (see ``encode_all``); resume from ``ckpt_dir/checkpoint.pt`` when it
    matches; return loss stats. ``autocast`` runs the forward pass in that dtype (weights stay float32)."""
    from tqdm.auto import tqdm

    ckpt_dir.mkdir(parents=True, exist_ok=True)
    opt, sched = _optimizer(scorer, lr, head_lr, len(plan))
    digest = _plan_digest(plan)
    start, losses = _resume(ckpt_dir / CHECKPOINT, scorer, opt, sched, digest)
    scorer.train()
    bar = tqdm(total=len(plan), initial=start, desc=desc, disable=not progress, unit="step")
    for step in range(start, len(plan)):
        ids, mask = encode_batch(rows, plan[step], pad_id)
        with torch.autocast(ids.device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
            logits = scorer(ids, mask)
        loss = loss_fn(logits.float(), plan[step])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(scorer.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        bar.update(1)
        bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.4f}")
        if (step + 1) % checkpoint_every == 0 and step + 1 < len(plan):
            _save(ckpt_dir / CHECKPOINT, scorer, opt, sched, step + 1, losses, digest)
    bar.close()
    scorer.eval()
    head = losses[: max(1, len(losses) // 5)]
    tail = losses[-max(1, len(losses) // 5) :]
    return {"steps": len(plan), "resumed_at": start, "loss_first": sum(head) / len(head), "loss_last": sum(tail) / len(tail)}


def _save(path: Path, scorer: YesNoScorer, opt, sched, step: int, losses: list[float], digest: str) -> None:
    tmp = path.with_suffix(".tmp")
    state = {"model": scorer.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
             "step": step, "losses": losses, "plan": digest}
    torch.save(state, tmp)
    tmp.replace(path)


def _resume(path: Path, scorer: YesNoScorer, opt, sched, digest: str) -> tuple[int, list[float]]:
    if not path.exists():
        return 0, []
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("plan") != digest:
        return 0, []  # a different data set or profile: start over
    scorer.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    return int(state["step"]), list(state["losses"])


def clear_checkpoint(ckpt_dir: Path) -> None:
    (ckpt_dir / CHECKPOINT).unlink(missing_ok=True)
