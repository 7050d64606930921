"""``torch.compile`` for serving: the transformer body of every scorer a ranker runs, with dynamic
shapes (batch sizes and prefix lengths vary per query). Scores are unchanged (|dp| ~1e-6); the first
calls of each new shape class pay the compilation (seconds), so ``compile_ranker`` can warm up with
one query. It pays in float32 (MixLM at N=250 ~25 % faster on 2 cores); over int8 dynamic-quantised
linears it recompiles until dynamo's cache limit and ends slower than int8 alone.
"""

from __future__ import annotations

from typing import Any

import torch

from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.ranker.quantize import scorers_of
from semstream.schemas import EntityKind

WARM_TEXT = "senior backend engineer python remote"


def compile_ranker(ranker: Any, warm_up: RankQuery | None = None, warm_items: list[RankItem] | None = None) -> Any:
    """Compile each scorer's body in place (``lm.<base_model_prefix>``, which the scorer's ``body``
    reads); with ``warm_up`` score it once on ``warm_items`` so the first real query does not wait."""
    for scorer in scorers_of(ranker):
        lm = scorer.lm
        prefix = lm.base_model_prefix
        setattr(lm, prefix, torch.compile(getattr(lm, prefix), dynamic=True))
    if warm_up is not None and warm_items:
        ranker.score(warm_up, warm_items)
    return ranker


def warm_up_inputs(ranker: Any, n: int = 16) -> tuple[RankQuery, list[RankItem]]:
    """A made-up query and ``n`` items every ranker mode can score: payload text for the text ranker,
    unit vectors of the MixLM adapter's width (a cascade's first stage) for the vector modes."""
    adapter = getattr(getattr(ranker, "first", ranker), "adapter", None)
    dim = adapter.dim_in if adapter is not None else 384
    unit = [dim**-0.5] * dim
    items = [RankItem(id=f"warm-{i}", payload={"title": f"Software engineer {i}", "skills": ["python"],
                                                "description": "Build and run backend services. " * (1 + i % 4)},
                      vector=unit, facts_vector=unit) for i in range(n)]
    return RankQuery(kind=EntityKind.JOB, text=WARM_TEXT, vector=unit), items
