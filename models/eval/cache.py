"""Embedding cache and run metadata shared by the evaluation commands.

Embedding a corpus takes minutes on two cores, so vectors are kept as ``.npy`` files named by a
hash of the embedder (name, token cap) and every text in order: any change to the corpus or the
model gives a new file; an unchanged one is read back in milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semstream.models.embedder import Embedder


def embedder_label(embedder: Embedder) -> str:
    """The embedder's name plus its model folder when it has one (names like "model" are not unique)."""
    path = getattr(embedder, "path", None)
    return f"{embedder.name} ({path})" if path else embedder.name


def corpus_key(embedder: Embedder, texts: Sequence[str]) -> str:
    h = hashlib.sha256(f"{embedder_label(embedder)}|{getattr(embedder, 'max_tokens', '')}|{embedder.dim}".encode())
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def embed_cached(embedder: Embedder, texts: Sequence[str], cache_dir: Path | None, tag: str) -> tuple[np.ndarray, dict[str, Any]]:
    """(vectors, info) where info says whether the cache was hit, the file and the seconds spent."""
    start = time.perf_counter()
    path = Path(cache_dir) / f"{tag}-{corpus_key(embedder, texts)}.npy" if cache_dir else None
    if path is not None and path.is_file():
        vectors = np.load(path)
        if vectors.shape == (len(texts), embedder.dim):
            return vectors, {"cache_hit": True, "cache_file": str(path), "seconds": time.perf_counter() - start}
    vectors = np.asarray(embedder.embed(list(texts)), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors, {"cache_hit": False, "cache_file": str(path) if path else None,
                     "seconds": time.perf_counter() - start, "docs_per_s": len(texts) / max(time.perf_counter() - start, 1e-9)}


def machine_info() -> dict[str, Any]:
    """Where a figure was measured."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        import torch

        info |= {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    except ImportError:
        pass
    return info
