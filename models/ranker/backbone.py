"""A causal language model read as a yes/no scorer: one forward pass, the last position's logits.

The score of a task is ``softmax([logit_yes, logit_no])[0]`` at the last prompt position. Only
the two rows of the output embedding that belong to " yes" and " no" are ever needed (a softmax
over two logits does not depend on the other rows), so the head keeps just those rows: for a
pretrained decoder (Qwen, Llama, GPT-2) the score at load time is exactly the LM's own yes/no
probability, without a vocabulary-wide matmul; for all-MiniLM-L6-v2 run causally, which ships no
LM head, the rows start from the tied word embeddings of "yes"/"no". Extra tasks (engagement
actions) get their own yes/no row pair, initialised the same way.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from torch import nn

from semstream.models.exceptions import ModelLoadError

DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
HEAD_FILE = "yes_no_head.pt"


def resolve_dtype(dtype: str) -> torch.dtype:
    try:
        return DTYPES[dtype]
    except KeyError as e:
        raise ModelLoadError(f"unknown dtype {dtype!r}; use one of {sorted(DTYPES)}") from e


def load_causal_lm(path: Path, dtype: str = "float32") -> nn.Module:
    """Any local Hugging Face causal LM folder; encoder checkpoints (BERT) are switched to causal."""
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        config = AutoConfig.from_pretrained(path)
        extra = {"is_decoder": True} if getattr(config, "model_type", "") in {"bert", "roberta", "mpnet"} else {}
        return AutoModelForCausalLM.from_pretrained(path, dtype=resolve_dtype(dtype), **extra)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot load a causal language model from {path}: {e}") from e


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot load a tokenizer from {path}: {e}") from e


def answer_token_ids(tokenizer: Any, yes: str = "yes", no: str = "no") -> tuple[int, int]:
    """Ids of the tokens that would follow the suffix: " yes" / " no" (last piece if split)."""
    ids = []
    for word in (yes, no):
        pieces = tokenizer(" " + word, add_special_tokens=False)["input_ids"]
        if not pieces:
            raise ModelLoadError(f"the tokenizer has no token for {word!r}")
        ids.append(int(pieces[-1]))
    return ids[0], ids[1]


class YesNoScorer(nn.Module):
    """Causal LM body + ``n_tasks`` yes/no row pairs; ``forward`` returns per-task log-odds."""

    def __init__(self, lm: nn.Module, yes_id: int, no_id: int, n_tasks: int = 1) -> None:
        super().__init__()
        self.lm = lm
        rows, bias = _answer_rows(lm, yes_id, no_id)
        self.head_weight = nn.Parameter(rows.repeat(n_tasks, 1).float())
        self.head_bias = nn.Parameter(bias.repeat(n_tasks).float())
        self.n_tasks = n_tasks

    @property
    def body(self) -> nn.Module:
        return self.lm.base_model

    def log_odds(self, hidden: torch.Tensor) -> torch.Tensor:
        """(B, H) last-position hidden states -> (B, n_tasks) logit_yes - logit_no per task."""
        logits = hidden.float() @ self.head_weight.T + self.head_bias
        pairs = logits.view(-1, self.n_tasks, 2)
        return pairs[..., 0] - pairs[..., 1]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Right-padded full sequences -> (B, n_tasks) log-odds at each row's last real token."""
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
        return self.log_odds(_last(hidden, attention_mask))

    def prefix_cache(self, prefix_ids: torch.Tensor) -> Any:
        """Run the shared prefix once (batch 1) and return its KV cache."""
        out = self.body(input_ids=prefix_ids, use_cache=True)
        return out.past_key_values

    def forward_with_prefix(self, cache: Any, prefix_len: int, suffix_ids: torch.Tensor, suffix_mask: torch.Tensor) -> torch.Tensor:
        """Score right-padded suffixes against a copy of the prefix cache; positions continue the prefix."""
        batch, length = suffix_ids.shape
        past = copy.deepcopy(cache)
        past.batch_repeat_interleave(batch)
        ones = torch.ones(batch, prefix_len, dtype=suffix_mask.dtype, device=suffix_mask.device)
        mask = torch.cat([ones, suffix_mask], dim=1)
        positions = (prefix_len + torch.arange(length, device=suffix_ids.device)).unsqueeze(0).expand(batch, -1)
        hidden = self.body(
            input_ids=suffix_ids, attention_mask=mask, position_ids=positions, past_key_values=past, use_cache=True
        ).last_hidden_state
        return self.log_odds(_last(hidden, suffix_mask))

    def keep_first_layers(self, n: int) -> None:
        """Prune to the first ``n`` transformer layers (layer indices stay 0..n-1 for the KV cache)."""
        layers, owner, attr = _layer_list(self.body)
        if not 1 <= n <= len(layers):
            raise ValueError(f"cannot keep {n} of {len(layers)} layers")
        setattr(owner, attr, nn.ModuleList(list(layers)[:n]))
        for config in {id(self.lm.config): self.lm.config, id(self.body.config): self.body.config}.values():
            config.num_hidden_layers = n
            if getattr(config, "layer_types", None):
                config.layer_types = list(config.layer_types)[:n]

    def save_head(self, directory: Path) -> None:
        torch.save({"weight": self.head_weight.detach().cpu(), "bias": self.head_bias.detach().cpu()}, directory / HEAD_FILE)

    def load_head(self, directory: Path) -> None:
        state = torch.load(directory / HEAD_FILE, map_location="cpu", weights_only=True)
        if state["weight"].shape != self.head_weight.shape:
            raise ModelLoadError(f"head in {directory} has shape {tuple(state['weight'].shape)}, expected {tuple(self.head_weight.shape)}")
        with torch.no_grad():
            self.head_weight.copy_(state["weight"])
            self.head_bias.copy_(state["bias"])


def _last(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    last = mask.sum(dim=1) - 1
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


def _answer_rows(lm: nn.Module, yes_id: int, no_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    out = lm.get_output_embeddings()
    weight = out.weight if out is not None else lm.get_input_embeddings().weight
    rows = weight.detach()[[yes_id, no_id]].clone()
    bias = getattr(out, "bias", None)
    return rows, (bias.detach()[[yes_id, no_id]].clone() if bias is not None else torch.zeros(2))


def _layer_list(body: nn.Module) -> tuple[nn.ModuleList, nn.Module, str]:
    for owner_path, attr in (("encoder", "layer"), ("", "layers"), ("", "h"), ("decoder", "layers")):
        owner = getattr(body, owner_path, None) if owner_path else body
        layers = getattr(owner, attr, None)
        if isinstance(layers, nn.ModuleList):
            return layers, owner, attr
    raise ModelLoadError(f"cannot find the transformer layers of {type(body).__name__}")
