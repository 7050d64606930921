"""The facts vector: the bi-encoder over an item's structured head and skills (``item_facts``).

The stored retrieval vector reads the whole item text, where the long description drowns the
fields relevance turns on (role, place, seniority, skills); the facts vector reads only those.
Ingest computes it next to the retrieval vector and keeps it in the payload (``FACTS_VECTOR_KEY``,
float16, base64: 1 KB for 384-d), so MixLM can read it without touching item text at query time.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np

FACTS_VECTOR_KEY = "facts_vector"


def as_stored(vectors: Sequence[float] | np.ndarray) -> np.ndarray:
    """Vectors rounded as a payload keeps them (float16), back in float32."""
    return np.asarray(vectors, dtype=np.float16).astype(np.float32)


def encode_vector(vector: Sequence[float] | np.ndarray) -> str:
    """float16 little-endian bytes, base64 (a payload value every store keeps as a plain string)."""
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def decode_vector(value: Any) -> list[float] | None:
    """The vector ``encode_vector`` wrote, or None when there is none; anything else is an error."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{FACTS_VECTOR_KEY} must be a base64 string, got {type(value).__name__}")
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as e:
        raise ValueError(f"{FACTS_VECTOR_KEY} is not valid base64: {e}") from e
    if len(raw) % 2:
        raise ValueError(f"{FACTS_VECTOR_KEY} holds {len(raw)} bytes, not a float16 vector")
    return np.frombuffer(raw, dtype="<f2").astype(np.float32).tolist()


def facts_vector_of(payload: dict[str, Any]) -> list[float] | None:
    return decode_vector(payload.get(FACTS_VECTOR_KEY))
