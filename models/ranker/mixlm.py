"""MixLM: an item enters the ranker as its retrieval vector, not its text.

The vector the store already keeps (384-d all-MiniLM-L6-v2) is projected into the ranker's input
space as ``k`` soft tokens, followed by one learned special token (optionally the answer suffix):

    [instruction][query] | [soft x k][special]([suffix])  -> P(yes) at the last position

The special token takes the place of the text ranker's answer suffix by default, so an item is
``k + 1`` positions. The ``[instruction][query]`` prefix runs once per query; all items are the same length, all the same length, so N=250 items are one small padding-free batch against
copies of the prefix KV cache. No item text is read at query time. The body and the yes/no head
are the trained text ranker's, frozen; only the projection and the special token are trained, to
match the text ranker's log-odds on judged pairs (plus the judge's grade as a soft label).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker

ADAPTER_FILE = "mixlm.pt"
MIXLM_DIR = "mixlm"  # the adapter's folder inside a ranker version folder


class VectorAdapter(nn.Module):
    """Retrieval vector (D) -> ``k`` soft token embeddings (k, H), plus the learned special token."""

    def __init__(self, dim_in: int, hidden: int, k: int = 1, mlp: bool = False) -> None:
        super().__init__()
        self.k, self.hidden, self.dim_in, self.mlp = k, hidden, dim_in, mlp
        self.proj: nn.Module = (
            nn.Sequential(nn.Linear(dim_in, hidden), nn.GELU(), nn.Linear(hidden, k * hidden)) if mlp
            else nn.Linear(dim_in, k * hidden)
        )
        self.special = nn.Parameter(torch.zeros(hidden))

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (N, k + 1, H): soft tokens then the special token."""
        soft = self.proj(vectors).view(-1, self.k, self.hidden)
        return torch.cat([soft, self.special.expand(soft.shape[0], 1, -1)], dim=1)


class MixLmRanker:
    """Implements the Ranker protocol from stored vectors only (``RankItem.vector``)."""

    variant = "mixlm"

    def __init__(self, base: SlmRanker, adapter: VectorAdapter, batch_size: int = 256, suffix: bool = False) -> None:
        self.base = base
        self.scorer = base.scorer
        self.adapter = adapter.to(base.device).eval()
        self.batch_size = batch_size
        self.version = f"{base.version}+mixlm"
        self.name = base.name
        self.device = base.device
        self.suffix = suffix
        self._suffix = torch.tensor(base.encoder.suffix_ids if suffix else [], dtype=torch.long, device=self.device)

    @classmethod
    def fresh(cls, base: SlmRanker, dim_in: int = 384, k: int = 1, mlp: bool = False, seed: int = 0,
              suffix: bool = False) -> MixLmRanker:
        """An untrained adapter on ``base``; the special token starts as the suffix's last token."""
        torch.manual_seed(seed)
        hidden = int(base.scorer.body.config.hidden_size)
        adapter = VectorAdapter(dim_in, hidden, k, mlp)
        with torch.no_grad():
            adapter.special.copy_(_embed(base, torch.tensor(base.encoder.suffix_ids[-1:])).squeeze(0))
        return cls(base, adapter, suffix=suffix)

    # --- the item part ---------------------------------------------------------------------
    def item_embeds(self, vectors: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (N, k + 1 + |suffix|, H) input embeddings of the item part."""
        suffix = _embed(self.base, self._suffix).unsqueeze(0).expand(vectors.shape[0], -1, -1)
        return torch.cat([self.adapter(vectors), suffix], dim=1)

    def vectors(self, items: Sequence[RankItem]) -> torch.Tensor:
        """The items' retrieval vectors; an item without one is an error naming it."""
        missing = [item.id for item in items if item.vector is None]
        if missing:
            raise ModelLoadError(f"MixLM needs retrieval vectors; items without one: {missing[:5]}")
        return torch.tensor(np.asarray([item.vector for item in items], dtype=np.float32), device=self.device)

    # --- scoring ---------------------------------------------------------------------------
    def forward_items(self, cache: Any, prefix_len: int, vectors: torch.Tensor) -> torch.Tensor:
        """(N, n_tasks) log-odds of N items against one prefix cache (gradients flow to the adapter)."""
        embeds = self.item_embeds(vectors)
        batch, length, _ = embeds.shape
        past = copy.deepcopy(cache)
        past.batch_repeat_interleave(batch)
        mask = torch.ones(batch, prefix_len + length, dtype=torch.long, device=self.device)
        positions = (prefix_len + torch.arange(length, device=self.device)).unsqueeze(0).expand(batch, -1)
        hidden = self.scorer.body(inputs_embeds=embeds, attention_mask=mask, position_ids=positions,
                                  past_key_values=past, use_cache=True).last_hidden_state
        return self.scorer.log_odds(hidden[:, -1])

    def prefix_cache(self, query: RankQuery) -> tuple[Any, int]:
        prefix = self.base.encoder.prefix(query)
        return self.scorer.prefix_cache(torch.tensor([prefix], dtype=torch.long, device=self.device)), len(prefix)

    def log_odds(self, query: RankQuery, items: Sequence[RankItem]) -> np.ndarray:
        """(N, n_tasks) raw log-odds; the prefix runs once, items in batches of ``batch_size``."""
        if not items:
            return np.zeros((0, self.scorer.n_tasks))
        vectors = self.vectors(items)
        with torch.inference_mode():
            cache, prefix_len = self.prefix_cache(query)
            parts = [self.forward_items(cache, prefix_len, vectors[s : s + self.batch_size])
                     for s in range(0, len(items), self.batch_size)]
        return torch.cat(parts).double().cpu().numpy()

    def reference_log_odds(self, query: RankQuery, items: Sequence[RankItem]) -> np.ndarray:
        """The slow path: each item's whole sequence (prefix embeddings + item part), no cache."""
        prefix = torch.tensor(self.base.encoder.prefix(query), dtype=torch.long, device=self.device)
        out = []
        with torch.inference_mode():
            prefix_embeds = _embed(self.base, prefix)
            for vector in self.vectors(items):
                embeds = torch.cat([prefix_embeds, self.item_embeds(vector.unsqueeze(0))[0]]).unsqueeze(0)
                mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=self.device)
                hidden = self.scorer.body(inputs_embeds=embeds, attention_mask=mask, use_cache=False).last_hidden_state
                out.append(self.scorer.log_odds(hidden[:, -1]))
        return torch.cat(out).double().cpu().numpy()

    def raw_scores(self, query: RankQuery, items: Sequence[RankItem]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.log_odds(query, items)))

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        """Uncalibrated P(relevant) per item (the relevance task), in the order given."""
        return self.raw_scores(query, items)[:, 0].tolist() if items else []

    # --- persistence -----------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"dim_in": self.adapter.dim_in, "k": self.adapter.k, "mlp": self.adapter.mlp}
        torch.save({"meta": meta, "suffix": self.suffix, "state": self.adapter.state_dict()}, directory / ADAPTER_FILE)
        return directory / ADAPTER_FILE

    @classmethod
    def load(cls, directory: Path, base: SlmRanker) -> MixLmRanker:
        path = Path(directory) / ADAPTER_FILE
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError) as e:
            raise ModelLoadError(f"cannot read the MixLM adapter {path} (fit one with "
                                 f"benchmarks/ranking_throughput.py --save-mixlm): {e}") from e
        adapter = VectorAdapter(hidden=int(base.scorer.body.config.hidden_size), **saved["meta"])
        adapter.load_state_dict(saved["state"])
        return cls(base, adapter, suffix=bool(saved.get("suffix", False)))


def _embed(base: SlmRanker, ids: torch.Tensor) -> torch.Tensor:
    """Word embeddings (before positions and norm) of token ids."""
    return base.scorer.body.get_input_embeddings()(ids.to(base.device))


def train_mixlm(
    ranker: MixLmRanker,
    groups: Sequence[tuple[RankQuery, Sequence[RankItem], np.ndarray, np.ndarray]],
    epochs: int = 10,
    lr: float = 3e-3,
    task_weight: float = 0.5,
    seed: int = 0,
) -> list[float]:
    """Fit the adapter: MSE to the teacher's log-odds + ``task_weight`` x BCE to the grade label.

    ``groups`` = (query, items, teacher log-odds (N,), grade target in [0, 1] (N,)) per query.
    The body and head stay frozen. Returns the mean loss per epoch.
    """
    for p in ranker.scorer.parameters():
        p.requires_grad_(False)
    ranker.adapter.train()
    optimiser = torch.optim.AdamW(ranker.adapter.parameters(), lr=lr, weight_decay=1e-4)
    rng, history = random.Random(seed), []
    prepared = [(q, ranker.vectors(items), torch.tensor(t, dtype=torch.float32), torch.tensor(g, dtype=torch.float32))
                for q, items, t, g in groups]
    for _ in range(epochs):
        rng.shuffle(prepared)
        losses = [_step(ranker, optimiser, group, task_weight) for group in prepared]
        history.append(float(np.mean(losses)))
    ranker.adapter.eval()
    return history


def _step(ranker: MixLmRanker, optimiser: torch.optim.Optimizer, group: tuple, task_weight: float) -> float:
    query, vectors, teacher, target = group
    with torch.no_grad():
        cache, prefix_len = ranker.prefix_cache(query)
    pred = ranker.forward_items(cache, prefix_len, vectors)[:, 0]
    loss = nn.functional.mse_loss(pred, teacher) + task_weight * nn.functional.binary_cross_entropy_with_logits(pred, target)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.detach())


def teacher_groups(
    teacher: SlmRanker, groups: Mapping[str, tuple[RankQuery, Sequence[RankItem], np.ndarray]]
) -> list[tuple[RankQuery, Sequence[RankItem], np.ndarray, np.ndarray]]:
    """Attach the text ranker's relevance log-odds to each (query, items, grade target) group."""
    return [(q, items, teacher.log_odds(q, items)[:, 0], target) for q, items, target in groups.values()]
