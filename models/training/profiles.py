"""Training profiles: how much data, how long, how big. ``quick`` is what first start builds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from semstream.models.training.exceptions import TrainingError


class TrainProfile(BaseModel):
    name: str
    queries_per_kind: int = Field(description="Generated queries per entity kind (jobs, people).")
    candidates_per_query: int = Field(description="Judged items per query.")
    title_queries: int = Field(0, description="Title-matching queries over ESCO labels (jobs; needs the ESCO data).")
    corpus_per_source: int = Field(description="Items read per corpus source (HN, Indeed); profiles: twice that.")
    engagement_sessions: int = Field(description="Simulated search sessions for the engagement teacher.")
    max_chars: int = Field(description="Item text cut before tokenising.")
    max_tokens: int = Field(description="Token cap of one prompt (query + item + suffix).")
    occupation_line: bool = Field(True, description="Items show their standardised ESCO occupation to the ranker.")
    teacher_epochs: int = 1
    student_epochs: int = 1
    engagement_epochs: int | None = Field(None, description="Epochs of the engagement teacher; None = teacher_epochs.")
    teacher_layers: int | None = Field(None, description="Layers of the teachers; None = the whole backbone.")
    student_layers: int = Field(4, description="Layers the student keeps (first N of the relevance teacher).")
    queries_per_batch: int = 2
    items_per_query: int = 8
    lr: float = 6e-5
    head_lr: float = 2e-3
    pairwise_weight: float = Field(0.5, description="Weight of the within-query RankNet term of the relevance loss.")
    alpha: float = Field(0.7, description="Student loss: alpha * KL(relevance) + (1 - alpha) * KL(engagement).")
    hint_rate: float = Field(0.5, description="Share of training queries that carry QU-style hints.")
    train_autocast: Literal["auto", "bfloat16", "float32"] = Field(
        "auto", description="Forward-pass dtype while training; auto = bfloat16 where the CPU/GPU has bf16 matmuls.")
    freeze_embeddings: bool = Field(True, description="Keep the input word embeddings fixed while training.")
    mixlm_soft_tokens: int = Field(2, ge=1, le=8, description="Soft tokens per item in the MixLM ranker.")
    mixlm_query_product: bool = Field(True, description="MixLM soft tokens read [item vector, query vector * item "
                                                        "vector] instead of the item vector alone.")
    mixlm_facts_vector: bool = Field(True, description="MixLM also reads each item's facts vector (the "
                                     "bi-encoder over its head and skills, stored at ingest).")
    mixlm_align_epochs: int = Field(2, ge=0, description="MixLM epochs aligning to the text student only.")
    mixlm_epochs: int = Field(4, ge=0, description="MixLM epochs with the task loss too; 0 = no MixLM adapter.")
    mixlm_lr: float = 3e-3
    mixlm_pairwise_weight: float = Field(0.0, ge=0, description="Weight of a within-query RankNet term in the "
                                                                "MixLM task loss (beside BCE to the judge).")
    mixlm_extra_queries: int = Field(0, ge=0, description="Extra generated queries per kind the MixLM stage also "
                                                          "trains on (labelled by the text student and the judge).")
    mixlm_candidates: int = Field(30, ge=2, description="Judged candidates per extra MixLM query.")
    mixlm_corpus_per_source: int = Field(600, ge=1, description="Items per source the extra MixLM queries draw from.")
    mixlm_body_lr: float | None = Field(3e-5, description="Also tune a copy of the body at this rate; None = frozen.")
    checkpoint_every: int = 25
    eval_fraction: float = 0.2
    calib_fraction: float = 0.2
    seed: int = 13


PROFILES: dict[str, TrainProfile] = {
    "quick": TrainProfile(
        name="quick", queries_per_kind=30, candidates_per_query=10, title_queries=60, corpus_per_source=150, engagement_sessions=400,
        max_chars=600, max_tokens=128, teacher_layers=None, student_layers=4, items_per_query=10,
        teacher_epochs=2, engagement_epochs=2, student_epochs=2, lr=1e-4, head_lr=3e-3,
    ),
    "full": TrainProfile(
        name="full", queries_per_kind=80, candidates_per_query=14, title_queries=700, corpus_per_source=600, engagement_sessions=3000,
        max_chars=1000, max_tokens=160, teacher_epochs=2, engagement_epochs=1, student_epochs=2, student_layers=4,
        items_per_query=14, lr=1e-4, head_lr=3e-3, checkpoint_every=50,
        mixlm_extra_queries=400, mixlm_corpus_per_source=4000,
    ),
    "tiny": TrainProfile(
        name="tiny", queries_per_kind=12, candidates_per_query=8, corpus_per_source=40, engagement_sessions=150,
        max_chars=300, max_tokens=64, teacher_layers=2, student_layers=1, lr=2e-4, head_lr=5e-3,
        checkpoint_every=10, mixlm_align_epochs=1, mixlm_epochs=1,
        mixlm_extra_queries=4, mixlm_candidates=6, mixlm_corpus_per_source=40,
    ),
}


def get_profile(name: str) -> TrainProfile:
    try:
        return PROFILES[name]
    except KeyError as e:
        raise TrainingError(f"unknown training profile {name!r}; choose one of {sorted(PROFILES)}") from e
