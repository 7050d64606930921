"""MixLM: an item enters the ranker as its retrieval vector, not its text.

The vector the store already keeps (384-d all-MiniLM-L6-v2) is projected into the ranker's input
space as ``k`` soft tokens, followed by one learned special token (optionally the answer suffix):

    [instruction][query] | [soft x k][special]([suffix])  -> P(yes) at the last position

With ``query_product`` (the default for new adapters) the projection reads ``[v, sqrt(D) q * v]``:
the item vector and its element-wise product with the query's retrieval vector (``RankQuery.vector``),
scaled so that its entries are as large as the unit vector's, so each soft token carries how the
item matches this query, not only what the item is. With ``facts`` the adapter also reads the item's
facts vector (``RankItem.facts_vector``, the bi-encoder over its head and skills, stored at ingest)
the same way: ``[v, sqrt(D) q * v, f, sqrt(D) q * f]``.

The special token takes the place of the text ranker's answer suffix by default, so an item is
``k + 1`` positions. The ``[instruction][query]`` prefix runs once per query; all items are the
same length, so N=250 items are one small padding-free batch against
copies of the prefix KV cache. No item text is read at query time. Training (``mixlm_train.train_mixlm``)
first aligns the projection and the special token to the text ranker's log-odds on judged pairs,
then adds the task loss (the judge's grade as a soft label), optionally tuning a copy of the body
too; scores are calibrated like the text ranker's (isotonic, per position).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.calibration import CalibratorSet
from semstream.models.ranker.fusion import FusedRanker, Fusion, saved_fusion
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker

ADAPTER_FILE = "mixlm.pt"
BODY_FILE = "body.pt"  # present when training tuned the body as well
MIXLM_DIR = "mixlm"  # the adapter's folder inside a ranker version folder


class VectorAdapter(nn.Module):
    """Item features -> ``k`` soft token embeddings (k, H), plus the learned special token.

    The features are the item's retrieval vector (D), or with ``query_product`` the item vector
    followed by its product with the query vector (2D); with ``facts`` the same again for the item's
    facts vector (2D or 4D); ``features`` builds them."""

    def __init__(self, dim_in: int, hidden: int, k: int = 1, mlp: bool = False, query_product: bool = False,
                 facts: bool = False) -> None:
        super().__init__()
        self.k, self.hidden, self.dim_in, self.mlp, self.query_product = k, hidden, dim_in, mlp, query_product
        self.facts = facts
        width = dim_in * (2 if query_product else 1) * (2 if facts else 1)
        self.proj: nn.Module = (
            nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, k * hidden)) if mlp
            else nn.Linear(width, k * hidden)
        )
        self.special = nn.Parameter(torch.zeros(hidden))

    def features(self, vectors: torch.Tensor, query_vector: torch.Tensor | None,
                 facts: torch.Tensor | None = None) -> torch.Tensor:
        """(N, D) item vectors -> (N, D) or, with ``query_product``, (N, 2D) ``[v, sqrt(D) q * v]``
        (entries of a unit vector are ~1/sqrt(D), of the plain product ~1/D); with ``facts`` the
        (N, D) facts vectors' block follows."""
        blocks = [vectors, facts] if self.facts else [vectors]
        if self.query_product:
            blocks = [part for v in blocks for part in (v, v * query_vector.unsqueeze(0) * self.dim_in**0.5)]
        return torch.cat(blocks, dim=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, width) -> (N, k + 1, H): soft tokens then the special token."""
        soft = self.proj(features).view(-1, self.k, self.hidden)
        return torch.cat([soft, self.special.expand(soft.shape[0], 1, -1)], dim=1)


class MixLmRanker(FusedRanker):
    """Implements the Ranker protocol from stored vectors only (``RankItem.vector``)."""

    def __init__(self, base: SlmRanker, adapter: VectorAdapter, batch_size: int = 256, suffix: bool = False,
                 calibrators: CalibratorSet | None = None, scorer: nn.Module | None = None,
                 fusion: Fusion = Fusion()) -> None:
        self.base = base
        self.scorer = scorer if scorer is not None else base.scorer
        self.calibrators = calibrators or CalibratorSet()
        self.adapter = adapter.to(base.device).eval()
        self.batch_size = batch_size
        self.version = f"{base.version}+mixlm"
        self.name = base.name
        self.device = base.device
        self.suffix = suffix
        self._suffix = torch.tensor(base.encoder.suffix_ids if suffix else [], dtype=torch.long, device=self.device)
        self.set_fusion(fusion)

    @property
    def variant(self) -> str:
        return self.tagged("mixlm")

    @classmethod
    def fresh(cls, base: SlmRanker, dim_in: int = 384, k: int = 1, mlp: bool = False, seed: int = 0,
              suffix: bool = False, query_product: bool = True, facts: bool = False) -> MixLmRanker:
        """An untrained adapter on ``base``; the special token starts as the suffix's last token."""
        torch.manual_seed(seed)
        hidden = int(base.scorer.body.config.hidden_size)
        adapter = VectorAdapter(dim_in, hidden, k, mlp, query_product, facts)
        with torch.no_grad():
            adapter.special.copy_(_embed(base, torch.tensor(base.encoder.suffix_ids[-1:])).squeeze(0))
        return cls(base, adapter, suffix=suffix)

    # --- the item part ---------------------------------------------------------------------
    def item_embeds(self, features: torch.Tensor) -> torch.Tensor:
        """(N, width) adapter features -> (N, k + 1 + |suffix|, H) input embeddings of the item part."""
        suffix = _embed(self.base, self._suffix).unsqueeze(0).expand(features.shape[0], -1, -1)
        return torch.cat([self.adapter(features), suffix], dim=1)

    def features(self, query: RankQuery, items: Sequence[RankItem]) -> torch.Tensor:
        """What the adapter reads for ``items`` under ``query``: vectors only, never item text."""
        missing = [item.id for item in items if item.vector is None]
        if missing:
            raise ValueError(f"MixLM needs retrieval vectors; items without one: {missing[:5]}")
        if self.adapter.query_product and query.vector is None:
            raise ValueError("this MixLM adapter reads the query's retrieval vector; the RankQuery has none")
        query_vector = None if query.vector is None else torch.tensor(query.vector, dtype=torch.float32, device=self.device)
        facts = self._facts(items) if self.adapter.facts else None
        return self.adapter.features(self._tensor([item.vector for item in items]), query_vector, facts)

    def _facts(self, items: Sequence[RankItem]) -> torch.Tensor:
        missing = [item.id for item in items if item.facts_vector is None]
        if missing:
            raise ValueError(f"this MixLM adapter reads facts vectors (ingest stores them; re-ingest items "
                             f"indexed before): items without one: {missing[:5]}")
        return self._tensor([item.facts_vector for item in items])

    def _tensor(self, rows: Sequence[Sequence[float]]) -> torch.Tensor:
        return torch.tensor(np.asarray(rows, dtype=np.float32), device=self.device)

    # --- scoring ---------------------------------------------------------------------------
    def forward_items(self, cache: Any, prefix_len: int, features: torch.Tensor) -> torch.Tensor:
        """(N, n_tasks) log-odds of N items against one prefix cache (gradients flow to the adapter)."""
        embeds = self.item_embeds(features)
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
        features = self.features(query, items)
        with torch.inference_mode():
            cache, prefix_len = self.prefix_cache(query)
            parts = [self.forward_items(cache, prefix_len, features[s : s + self.batch_size])
                     for s in range(0, len(items), self.batch_size)]
        return torch.cat(parts).double().cpu().numpy()

    def reference_log_odds(self, query: RankQuery, items: Sequence[RankItem]) -> np.ndarray:
        """The slow path: each item's whole sequence (prefix embeddings + item part), no cache."""
        prefix = torch.tensor(self.base.encoder.prefix(query), dtype=torch.long, device=self.device)
        out = []
        with torch.inference_mode():
            prefix_embeds = _embed(self.base, prefix)
            for feature in self.features(query, items):
                embeds = torch.cat([prefix_embeds, self.item_embeds(feature.unsqueeze(0))[0]]).unsqueeze(0)
                mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=self.device)
                hidden = self.scorer.body(inputs_embeds=embeds, attention_mask=mask, use_cache=False).last_hidden_state
                out.append(self.scorer.log_odds(hidden[:, -1]))
        return torch.cat(out).double().cpu().numpy()

    def raw_scores(self, query: RankQuery, items: Sequence[RankItem]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.log_odds(query, items)))

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        """P(relevant) per item (the relevance task), in the order given; calibrated per position when
        a calibrator is loaded, fused with the items' retrieval scores like the text ranker's."""
        if not items:
            return []
        raw = self.raw_scores(query, items)[:, 0]
        relevance = self.calibrators.apply("relevance", raw, list(range(len(items)))).tolist()
        return self.fused(relevance, items, query)

    def own_body(self) -> None:
        """Tune a private copy of the body from now on (the text ranker keeps its own)."""
        if self.scorer is self.base.scorer:
            self.scorer = copy.deepcopy(self.base.scorer)

    # --- persistence -----------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"dim_in": self.adapter.dim_in, "k": self.adapter.k, "mlp": self.adapter.mlp,
                "query_product": self.adapter.query_product, "facts": self.adapter.facts}
        torch.save({"meta": meta, "suffix": self.suffix, **self.fusion_fields(), "state": self.adapter.state_dict()},
                   directory / ADAPTER_FILE)
        if self.scorer is not self.base.scorer:
            torch.save(self.scorer.state_dict(), directory / BODY_FILE)
        self.calibrators.save(directory)
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
        return cls(base, adapter, suffix=bool(saved.get("suffix", False)), calibrators=CalibratorSet.load(directory),
                   scorer=_load_body(Path(directory) / BODY_FILE, base), batch_size=base.batch_size,
                   fusion=saved_fusion(saved))


def _load_body(path: Path, base: SlmRanker) -> nn.Module | None:
    """The tuned body copy, if training saved one (same architecture and dtype as the text ranker's)."""
    if not path.exists():
        return None
    scorer = copy.deepcopy(base.scorer)
    try:
        state = torch.load(path, map_location=base.device, weights_only=True)
        scorer.load_state_dict({k: v.to(next(iter(scorer.state_dict().values())).dtype) if v.is_floating_point() else v
                                for k, v in state.items()})
    except (OSError, RuntimeError) as e:
        raise ModelLoadError(f"cannot read the MixLM body {path}: {e}") from e
    return scorer.eval()


def _embed(base: SlmRanker, ids: torch.Tensor) -> torch.Tensor:
    """Word embeddings (before positions and norm) of token ids."""
    return base.scorer.body.get_input_embeddings()(ids.to(base.device))
