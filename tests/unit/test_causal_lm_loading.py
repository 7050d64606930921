"""Any local causal LM folder loads through the same ranker interface (tiny random models, offline)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from semstream.models.embedder import bundled_minilm_path
from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.protocol import Ranker, RankItem, RankQuery
from semstream.models.ranker.slm import SlmRanker
from semstream.schemas import EntityKind

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def _save_tiny(tmp_path: Path, arch: str) -> Path:
    """A randomly initialised 2-layer decoder plus MiniLM's tokenizer files, saved offline."""
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    torch.manual_seed(0)
    if arch == "llama":
        config = LlamaConfig(vocab_size=30522, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    else:
        config = GPT2Config(vocab_size=30522, n_embd=32, n_layer=2, n_head=4, n_positions=256)
    folder = tmp_path / arch
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    for name in TOKENIZER_FILES:
        shutil.copy(bundled_minilm_path() / name, folder / name)
    return folder


QUERY = RankQuery(kind=EntityKind.PROFILE, text="staff nurse with icu experience", hints=["location: Leeds"])
ITEMS = [RankItem(id=str(i), payload={"headline": h, "summary": s})
         for i, (h, s) in enumerate([("ICU nurse", "Ten years in critical care. " * 8), ("Chef", "Kitchen."),
                                      ("Paramedic", "Ambulance service in Leeds. " * 3)])]


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_tiny_causal_lm_scores_through_the_same_interface(tmp_path: Path, arch: str) -> None:
    ranker = SlmRanker.from_pretrained(_save_tiny(tmp_path, arch), device="cpu", max_tokens=80, batch_size=2)
    assert isinstance(ranker, Ranker)
    full = ranker.raw_scores(QUERY, ITEMS, mode="full-text")[:, 0]
    shared = ranker.raw_scores(QUERY, ITEMS, mode="prefix-shared")[:, 0]
    single = np.array([ranker.raw_scores(QUERY, [it], mode="full-text")[0, 0] for it in ITEMS])
    assert np.abs(full - shared).max() < 1e-4
    assert np.abs(full - single).max() < 1e-4
    assert np.ptp(full) > 0


def test_head_equals_the_lm_yes_no_softmax(tmp_path: Path) -> None:
    """The two-row head gives exactly softmax over the LM's own " yes"/" no" logits."""
    ranker = SlmRanker.from_pretrained(_save_tiny(tmp_path, "llama"), device="cpu", max_tokens=80)
    ids = ranker.encoder.full(QUERY, ITEMS[:1])[0]
    with torch.inference_mode():
        logits = ranker.scorer.lm(input_ids=torch.tensor([ids])).logits[0, -1]
    yes, no = ranker.tokenizer(" yes no", add_special_tokens=False)["input_ids"]
    expected = torch.softmax(logits[[yes, no]].double(), dim=0)[0].item()
    assert abs(ranker.raw_scores(QUERY, ITEMS[:1], mode="full-text")[0, 0] - expected) < 1e-5


def test_bf16_dtype_option(tmp_path: Path) -> None:
    ranker = SlmRanker.from_pretrained(_save_tiny(tmp_path, "llama"), device="cpu", dtype="bf16", max_tokens=80)
    assert next(ranker.scorer.lm.parameters()).dtype == torch.bfloat16
    scores = ranker.score(QUERY, ITEMS)
    assert len(scores) == 3 and all(0 < s < 1 for s in scores)


def test_bad_path_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="nowhere"):
        SlmRanker.from_pretrained(tmp_path / "nowhere")
