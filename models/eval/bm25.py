"""Okapi BM25 over short documents: a lexical baseline for the evaluation harness.

Scores ``sum_t idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen))`` with the
non-negative idf ``log(1 + (N - df + 0.5) / (df + 0.5))``. Tokens: lower-cased words.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


def bm25_tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Bm25:
    """An inverted index with BM25 scoring; ``search`` returns (doc index, score), best first."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n_docs = len(docs)
        self._lengths = np.zeros(self.n_docs, dtype=np.float64)
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for idx, doc in enumerate(docs):
            counts = Counter(bm25_tokens(doc))
            self._lengths[idx] = sum(counts.values())
            for term, tf in counts.items():
                self._postings[term].append((idx, tf))
        self._avg = float(self._lengths.mean()) if self.n_docs else 0.0

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        norm = self.k1 * (1 - self.b + self.b * self._lengths / max(self._avg, 1e-9))
        for term in set(bm25_tokens(query)):
            postings = self._postings.get(term)
            if not postings:
                continue
            idx = np.fromiter((p[0] for p in postings), dtype=np.int64, count=len(postings))
            tf = np.fromiter((p[1] for p in postings), dtype=np.float64, count=len(postings))
            out[idx] += self.idf(term) * tf * (self.k1 + 1) / (tf + norm[idx])
        return out

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top k documents with a positive score, best first (ties by index)."""
        scores = self.scores(query)
        positive = np.flatnonzero(scores > 0)
        order = positive[np.lexsort((positive, -scores[positive]))][:k]
        return [(int(i), float(scores[i])) for i in order]
