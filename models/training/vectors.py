"""What retrieval knows about a training example: its item's stored vector and the query-item cosine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from semstream.models.embedder import Embedder
from semstream.models.facts import as_stored
from semstream.models.item_text import item_facts, item_text
from semstream.models.training.examples import Example


def with_vectors(examples: Sequence[Example], embedder: Embedder) -> list[Example]:
    """Copies of ``examples`` whose items carry their retrieval vector and their facts vector (as
    ingest stores it, float16), each distinct item embedded once."""
    kinds = {ex.item.id: (ex.query.kind, ex.item.payload) for ex in examples}
    ids = list(kinds)
    vectors = dict(zip(ids, np.asarray(embedder.embed([item_text(*kinds[i]) for i in ids]), dtype=np.float32)))
    facts = dict(zip(ids, stored_facts(embedder, [item_facts(*kinds[i]) for i in ids])))
    return [replace(ex, item=ex.item.model_copy(update={"vector": vectors[ex.item.id].tolist(),
                                                        "facts_vector": facts[ex.item.id]}))
            for ex in examples]


def stored_facts(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """Facts vectors as a payload holds them (rounded to float16, see ``models/facts.py``)."""
    return as_stored(embedder.embed(list(texts))).tolist()


def with_retrieval(examples: Sequence[Example], embedder: Embedder) -> list[Example]:
    """``with_vectors`` plus what dense retrieval knows of each query: its vector (``RankQuery.vector``)
    and each item's ``retrieval_score``, the query-item cosine."""
    items = with_vectors(examples, embedder)
    texts = list(dict.fromkeys(ex.query.text for ex in items))
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    queries = {text: (v, v.tolist()) for text, v in zip(texts, vectors)}  # one list per query, shared by its pairs
    return [_retrieved(ex, *queries[ex.query.text]) for ex in items]


def _retrieved(example: Example, query_vector: np.ndarray, as_list: list[float]) -> Example:
    score = float(np.dot(query_vector, example.item.vector))
    return replace(example, query=example.query.model_copy(update={"vector": as_list}),
                   item=example.item.model_copy(update={"retrieval_score": score}))


def facts_scores(examples: Sequence[Example]) -> np.ndarray:
    """The examples' query-vector x item-facts-vector cosines (see ``with_retrieval``)."""
    missing = [ex.item.id for ex in examples if ex.item.facts_vector is None or ex.query.vector is None]
    if missing:
        raise ValueError(f"examples without a facts vector or a query vector (use with_retrieval): {missing[:5]}")
    return np.array([np.dot(ex.query.vector, ex.item.facts_vector) for ex in examples], dtype=np.float64)


def retrieval_scores(examples: Sequence[Example]) -> np.ndarray:
    """The examples' query-item cosines (see ``with_retrieval``)."""
    missing = [ex.item.id for ex in examples if ex.item.retrieval_score is None]
    if missing:
        raise ValueError(f"examples without a retrieval score (use with_retrieval): {missing[:5]}")
    return np.array([ex.item.retrieval_score for ex in examples], dtype=np.float64)
