"""Int8 weights for CPU serving: every ``nn.Linear`` of a ranker's transformer body becomes a dynamically
quantised linear (int8 weights, activations quantised per batch); embeddings, norms and the yes/no head
stay in float32. Applied after all weights are loaded, so a MixLM body copy is quantised too."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from semstream.models.exceptions import ModelLoadError

INT8 = "int8"


def quantize_body(scorer: nn.Module) -> nn.Module:
    """``scorer.lm`` with its linear layers replaced by int8 dynamic-quantised ones (in place)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch marks the quantised-tensor API deprecated; it still runs here
        warnings.simplefilter("ignore")
        scorer.lm = quantize_dynamic(scorer.lm, {nn.Linear}, dtype=torch.qint8)
    return scorer


def scorers_of(ranker: Any) -> list[nn.Module]:
    """Every distinct scorer a text, MixLM or cascade ranker runs: its own and its base's (MixLM may
    tune a body copy; a cascade's ``scorer`` is MixLM's and its ``base`` the text ranker)."""
    scorers = {id(s): s for s in (getattr(ranker, "scorer", None), getattr(getattr(ranker, "base", None), "scorer", None))
               if s is not None}
    return list(scorers.values())


def quantize_ranker(ranker: Any) -> Any:
    """Quantise every scorer a text or MixLM ranker runs (CPU only); marks its variant ``+int8``."""
    if str(ranker.device) != "cpu":
        raise ModelLoadError(f"ranker_dtype=int8 runs on the CPU only, not on {ranker.device}; use bfloat16 there")
    for scorer in scorers_of(ranker):
        quantize_body(scorer)
    ranker.precision = INT8
    return ranker
