"""The SLM ranker: a decoder reads ``[instruction][query][item][suffix]`` and scores P(yes) in one pass.

Two scoring paths give the same numbers (to float rounding):

* ``full-text``: every item's whole sequence, right-padded in batches; the score is read at each
  row's last real token, so padding never reaches a real token under the causal mask.
* ``prefix-shared``: the ``[instruction][query]`` prefix runs once per query; item suffixes run in
  batches against copies of its KV cache, with positions continuing after the prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.backbone import YesNoScorer, answer_token_ids, load_causal_lm, load_tokenizer
from semstream.models.ranker.calibration import CalibratorSet
from semstream.models.ranker.fusion import FusedRanker, Fusion
from semstream.models.ranker.prompt import PromptEncoder, PromptTemplate
from semstream.models.ranker.protocol import RankItem, RankQuery

Mode = Literal["full-text", "prefix-shared"]


def pad_right(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and attention mask."""
    length = max(len(r) for r in rows)
    ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def _device(name: str) -> torch.device:
    """A torch device; asking for CUDA on a machine without it fails with the setting's value."""
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise ModelLoadError(f"bad ranker device {name!r}: {e}") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"ranker device {name!r} asked for, but torch sees no CUDA device")
    return device


class SlmRanker(FusedRanker):
    """Implements the Ranker protocol; ``score`` is calibrated P(relevant) when calibrators are loaded."""

    def __init__(
        self,
        scorer: YesNoScorer,
        tokenizer: Any,
        template: PromptTemplate | None = None,
        max_tokens: int = 128,
        objectives: Sequence[str] = ("relevance",),
        calibrators: CalibratorSet | None = None,
        device: str = "cpu",
        batch_size: int = 16,
        mode: Mode = "prefix-shared",
        version: str = "untrained",
        name: str = "adhoc",
        fusion: Fusion = Fusion(),
    ) -> None:
        if len(objectives) != scorer.n_tasks:
            raise ValueError(f"{len(objectives)} objectives for a scorer with {scorer.n_tasks} tasks")
        self.device = _device(device)
        self.scorer = scorer.to(self.device).eval()
        self.tokenizer = tokenizer
        self.template = template or PromptTemplate()
        self.encoder = PromptEncoder(tokenizer, self.template, max_tokens)
        self.max_tokens = max_tokens
        self.objectives = list(objectives)
        self.calibrators = calibrators or CalibratorSet()
        self.batch_size = batch_size
        self.mode: Mode = mode
        self.version = version
        self.name = name
        self.set_fusion(fusion)
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)

    @property
    def variant(self) -> str:
        return self.tagged(self.mode)

    @classmethod
    def from_pretrained(
        cls, path: Path, device: str = "cpu", dtype: str = "float32", n_tasks: int = 1, **kwargs: Any
    ) -> SlmRanker:
        """Any local causal LM folder (or all-MiniLM-L6-v2, run causally), head from its yes/no rows."""
        tokenizer = load_tokenizer(Path(path))
        yes_id, no_id = answer_token_ids(tokenizer)
        scorer = YesNoScorer(load_causal_lm(Path(path), dtype), yes_id, no_id, n_tasks)
        objectives = kwargs.pop("objectives", ["relevance"] + [f"task{i}" for i in range(1, n_tasks)])
        return cls(scorer, tokenizer, device=device, objectives=objectives, **kwargs)

    # --- raw scores ----------------------------------------------------------------------------
    def log_odds(self, query: RankQuery, items: Sequence[RankItem], mode: Mode | None = None) -> np.ndarray:
        """(N, n_tasks) raw log-odds, in the order given."""
        if not items:
            return np.zeros((0, self.scorer.n_tasks), dtype=np.float64)
        prefix = self.encoder.prefix(query)
        suffixes = self.encoder.suffixes(query, items, len(prefix))
        out = np.zeros((len(items), self.scorer.n_tasks), dtype=np.float64)
        order = sorted(range(len(items)), key=lambda i: len(suffixes[i]))
        with torch.inference_mode():
            cache = self._prefix(prefix) if (mode or self.mode) == "prefix-shared" else None
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._batch(prefix, [suffixes[i] for i in idx], cache).cpu().double().numpy()
        return out

    def _prefix(self, prefix: list[int]) -> Any:
        ids = torch.tensor([prefix], dtype=torch.long, device=self.device)
        return self.scorer.prefix_cache(ids)

    def _batch(self, prefix: list[int], suffixes: list[list[int]], cache: Any) -> torch.Tensor:
        if cache is None:
            ids, mask = pad_right([prefix + s for s in suffixes], self.pad_id)
            return self.scorer(ids.to(self.device), mask.to(self.device))
        ids, mask = pad_right(suffixes, self.pad_id)
        return self.scorer.forward_with_prefix(cache, len(prefix), ids.to(self.device), mask.to(self.device))

    def raw_scores(self, query: RankQuery, items: Sequence[RankItem], mode: Mode | None = None) -> np.ndarray:
        """(N, n_tasks) uncalibrated P(yes) per task."""
        return 1.0 / (1.0 + np.exp(-self.log_odds(query, items, mode)))

    # --- calibrated scores ---------------------------------------------------------------------
    def score_objectives(self, query: RankQuery, items: Sequence[RankItem]) -> dict[str, list[float]]:
        """Every objective's score; calibrated per position (input order) where a calibrator exists."""
        raw = self.raw_scores(query, items)
        positions = list(range(len(items)))
        return {
            name: self.calibrators.apply(name, raw[:, t], positions).tolist()
            for t, name in enumerate(self.objectives)
        }

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        """P(relevant) per item, in the order given (calibrated when a calibrator is loaded), fused with the
        items' retrieval scores when the ranker has a retrieval weight and every item carries one."""
        if not items:
            return []
        relevance = self.score_objectives(query, items)[self.objectives[0]]
        return self.fused(relevance, items, query)
