"""A versioned ranker on disk: ``<models>/<name>/<version>/`` =

* ``model/``            Hugging Face weights + tokenizer + ``yes_no_head.pt``
* ``ranker.json``       variant, backbone, prompt template, token cap, objectives, profile, metrics
* ``calibration.json``  isotonic calibrators per objective and position
* ``eval.json``         the held-out evaluation report
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.backbone import YesNoScorer, answer_token_ids, load_causal_lm, load_tokenizer
from semstream.models.ranker.calibration import CalibratorSet
from semstream.models.ranker.fusion import saved_fusion
from semstream.models.ranker.prompt import PromptTemplate
from semstream.models.ranker.slm import SlmRanker

MODEL_DIR = "model"
CONFIG_FILE = "ranker.json"
EVAL_FILE = "eval.json"


class RankerConfig(BaseModel):
    name: str = "default"
    version: str = ""
    variant: str = Field("prefix-shared", description="Scoring path: prefix-shared or full-text.")
    backbone: str = Field(description="Human-readable: base weights, layers kept.")
    layers: int
    template: PromptTemplate = Field(default_factory=PromptTemplate)
    max_tokens: int = 128
    objectives: list[str] = Field(default_factory=lambda: ["relevance"])
    dtype: str = "float32"
    retrieval_weight: float = Field(0.0, description="Weight of the retrieval cosine in the fused score (0 = off).")
    retrieval_center: float = Field(0.0, description="Cosine subtracted before weighting (the calibration mean).")
    facts_weight: float = Field(0.0, description="Weight of the query-facts-vector cosine in the fused score (0 = off).")
    facts_center: float = Field(0.0, description="Facts cosine subtracted before weighting (the calibration mean).")
    profile: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))


def save_scorer(directory: Path, scorer: YesNoScorer, tokenizer: Any) -> Path:
    """Weights, tokenizer and the yes/no head in one Hugging Face folder."""
    directory.mkdir(parents=True, exist_ok=True)
    scorer.lm.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    scorer.save_head(directory)
    return directory


def load_scorer(directory: Path, n_tasks: int, dtype: str = "float32") -> tuple[YesNoScorer, Any]:
    tokenizer = load_tokenizer(directory)
    scorer = YesNoScorer(load_causal_lm(directory, dtype), *answer_token_ids(tokenizer), n_tasks=n_tasks)
    scorer.load_head(directory)
    return scorer, tokenizer


def write_artifact(
    directory: Path,
    scorer: YesNoScorer,
    tokenizer: Any,
    config: RankerConfig,
    calibrators: CalibratorSet,
    eval_report: dict[str, Any],
    extras: Sequence[Callable[[Path], object]] = (),
) -> Path:
    """Write everything to a sibling temp folder, then rename: a reader never sees half a model.
    Each of ``extras`` writes more into the temp folder (e.g. the MixLM adapter)."""
    tmp = directory.with_name(directory.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    save_scorer(tmp / MODEL_DIR, scorer, tokenizer)
    calibrators.save(tmp)
    (tmp / CONFIG_FILE).write_text(config.model_dump_json(indent=1))
    (tmp / EVAL_FILE).write_text(json.dumps(eval_report, indent=1))
    for write in extras:
        write(tmp)
    tmp.rename(directory)
    return directory


def read_config(directory: Path) -> RankerConfig:
    path = Path(directory) / CONFIG_FILE
    try:
        return RankerConfig.model_validate_json(path.read_text())
    except (OSError, ValidationError) as e:
        raise ModelLoadError(f"unreadable ranker config {path}: {e}") from e


def load_artifact(
    directory: Path, device: str = "cpu", dtype: str | None = None, mode: str | None = None, batch_size: int = 16
) -> SlmRanker:
    """An SlmRanker from a version folder, calibrated, on ``device``."""
    config = read_config(directory)
    scorer, tokenizer = load_scorer(Path(directory) / MODEL_DIR, len(config.objectives), dtype or config.dtype)
    return SlmRanker(
        scorer,
        tokenizer,
        template=config.template,
        max_tokens=config.max_tokens,
        objectives=config.objectives,
        calibrators=CalibratorSet.load(directory),
        device=device,
        batch_size=batch_size,
        mode=mode or config.variant,  # type: ignore[arg-type]
        version=config.version,
        name=config.name,
        fusion=saved_fusion(config.model_dump()),
    )
