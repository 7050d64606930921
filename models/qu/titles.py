"""Job-title normalisation to ESCO occupations.

Sparse TF-IDF over word unigrams and character 3-grams of every ESCO preferred and alternative label
(plus a few job-board aliases from ``data/title_aliases.tsv``), scored by cosine through an inverted
index in numpy: no model files, ≈1 ms per title. Without the ESCO folder a bundled subset is used.
An optional dense re-scoring takes label vectors computed elsewhere (e.g. by the bi-encoder).
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from semstream.models.qu.exceptions import QUDataError
from semstream.shared_data import esco_dir

DATA_DIR = Path(__file__).with_name("data")
BUILTIN_FILE = DATA_DIR / "occupations_builtin.tsv"
ALIASES_FILE = DATA_DIR / "title_aliases.tsv"
ESCO_FILE = "occupations_en.csv"
MIN_SCORE = 0.55  # below this ``best`` / ``normalise_title`` return None (chosen on JobBERT val titles)
MAX_TITLE_CHARS = 200
WORD_WEIGHT = 1.0  # word unigrams vs character 3-grams (1.0 and 2.0 within 1 point on JobBERT val)
PREFERRED_BONUS = 0.05  # an exact preferred label beats the same string as someone's alt label

_WORD = re.compile(r"[^\W_]+(?:[+#]+|\.net)?", re.UNICODE)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")
_TITLE_SPLIT = re.compile(r"\s[-|–—/]\s|[|,;:]")
_STOP = {"and", "or", "of", "the", "a", "an", "in", "for", "to", "with", "at", "on", "m", "f", "d", "w", "x"}
_TITLE_NOISE = {"senior", "sr", "junior", "jr", "mid", "level", "remote", "hybrid", "urgent", "hiring",
                "immediate", "start", "full", "part", "time", "contract", "temporary", "permanent", "needed",
                "wanted", "all", "genders", "gender", "job", "jobs", "vacancy", "new", "experienced"}


def stem(word: str) -> str:
    """A light plural stemmer: managers -> manager, secretaries -> secretary, boss stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.casefold()) if w not in _STOP]


def features(text: str) -> Counter[str]:
    """Word unigrams (prefixed ``w:``) and boundary-padded character 3-grams of each word."""
    feats: Counter[str] = Counter()
    for word in words(text[:MAX_TITLE_CHARS]):
        feats["w:" + word] += 1
        padded = f"#{word}#"
        feats.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return feats


@dataclass(frozen=True)
class _Index:
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]


def _weights(feats: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    raw = {f: (1.0 + math.log(c)) * idf[f] * (WORD_WEIGHT if f.startswith("w:") else 1.0) for f, c in feats.items() if f in idf}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {f: v / norm for f, v in raw.items()}


def _build_index(labels: list[str]) -> _Index:
    label_feats = [features(label) for label in labels]
    df: Counter[str] = Counter(f for feats in label_feats for f in feats)
    n = len(labels)
    idf = {f: math.log((1 + n) / (1 + d)) + 1.0 for f, d in df.items()}
    ids: dict[str, list[int]] = defaultdict(list)
    vals: dict[str, list[float]] = defaultdict(list)
    for i, feats in enumerate(label_feats):
        for f, w in _weights(feats, idf).items():
            ids[f].append(i)
            vals[f].append(w)
    postings = {f: (np.asarray(ids[f], np.int32), np.asarray(vals[f], np.float32)) for f in ids}
    return _Index(postings, idf)


class TitleNormaliser:
    """Maps free-text titles to ESCO preferred labels with a similarity score in [0, 1]."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]) -> None:
        self.occupations: list[str] = []
        labels: list[str] = []
        owners: list[int] = []
        preferred: list[bool] = []
        for pref, alts in entries:
            occ = len(self.occupations)
            self.occupations.append(pref)
            for j, label in enumerate(dict.fromkeys([pref, *alts])):
                labels.append(label)
                owners.append(occ)
                preferred.append(j == 0)
        if not labels:
            raise QUDataError("a title normaliser needs at least one occupation label")
        self.labels = labels
        self._owner = np.asarray(owners, np.int32)
        self._bonus = np.where(np.asarray(preferred), PREFERRED_BONUS, 0.0).astype(np.float32)
        self._index = _build_index(labels)
        self._occ_vectors: np.ndarray | None = None
        self._embed: Callable[[str], np.ndarray] | None = None
        self._dense_weight = 0.0

    @classmethod
    def load(cls, esco_dir: Path | None = None) -> TitleNormaliser:
        """ESCO v1.2 from ``esco_dir/occupations_en.csv`` if present, else the bundled subset."""
        if esco_dir is not None and (Path(esco_dir) / ESCO_FILE).is_file():
            entries = _read_esco(Path(esco_dir) / ESCO_FILE)
        else:
            entries = _read_tsv(BUILTIN_FILE)
        return cls(_with_aliases(entries, _read_aliases(ALIASES_FILE)))

    def set_dense(self, occupation_vectors: np.ndarray, embed: Callable[[str], np.ndarray], weight: float = 0.5) -> None:
        """Re-score the sparse top candidates with cosine(embed(title), vector of the occupation's label).

        ``occupation_vectors`` holds one L2-normalised row per entry of ``self.occupations``.
        """
        if occupation_vectors.shape[0] != len(self.occupations):
            raise QUDataError(f"expected {len(self.occupations)} occupation vectors, got {occupation_vectors.shape[0]}")
        self._occ_vectors, self._embed, self._dense_weight = occupation_vectors, embed, weight

    def normalise(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """Top-``k`` ESCO preferred labels for ``text``, best first, with scores in [0, 1]."""
        scores = self._label_scores(text)
        if scores is None or k <= 0:
            return []
        top = _top_occupations(scores, self._owner, max(k, 20) if self._embed else k)
        if self._embed is not None and top:
            top = self._rescore(text, top)
        return [(self.occupations[o], round(min(float(s), 1.0), 4)) for o, s in top[:k]]

    def best(self, text: str, min_score: float = MIN_SCORE) -> str | None:
        """The top label if it scores at least ``min_score``, else None."""
        top = self.normalise(text, k=1)
        return top[0][0] if top and top[0][1] >= min_score else None

    def _label_scores(self, text: str) -> np.ndarray | None:
        query = _weights(features(text or ""), self._index.idf)
        if not query:
            return None
        parts = [(self._index.postings[f], w) for f, w in query.items()]
        ids = np.concatenate([p[0] for p, _ in parts])
        vals = np.concatenate([p[1] * w for p, w in parts])
        scores = np.bincount(ids, weights=vals, minlength=len(self.labels)).astype(np.float32)
        return np.minimum(scores, 1.0) + self._bonus * (scores > 0)

    def _rescore(self, text: str, top: list[tuple[int, float]]) -> list[tuple[int, float]]:
        assert self._embed is not None and self._occ_vectors is not None
        q = np.asarray(self._embed(text), np.float32).ravel()
        w = self._dense_weight
        rescored = [(o, (1 - w) * s + w * float(self._occ_vectors[o] @ q)) for o, s in top]
        return sorted(rescored, key=lambda t: -t[1])


def _top_occupations(scores: np.ndarray, owner: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Best label score per occupation, the ``k`` best occupations (ties broken by index)."""
    n = min(len(scores), max(8 * k, 64))
    cand = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    best: dict[int, float] = {}
    for i in cand[np.lexsort((cand, -scores[cand]))]:
        if scores[i] <= 0:
            break
        best.setdefault(int(owner[i]), float(scores[i]))
    return sorted(best.items(), key=lambda t: (-t[1], t[0]))[:k]


def _read_esco(path: Path) -> list[tuple[str, list[str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return [
                (row["preferredLabel"].strip(), [a.strip() for a in row["altLabels"].splitlines() if a.strip()])
                for row in csv.DictReader(f)
                if row.get("preferredLabel", "").strip()
            ]
    except (OSError, KeyError, csv.Error) as e:
        raise QUDataError(f"cannot read ESCO occupations {path}: {e}") from e


def _read_tsv(path: Path) -> list[tuple[str, list[str]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise QUDataError(f"cannot read occupation list {path}: {e}") from e
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(r[0].strip(), [a for a in (r[1].split("|") if len(r) > 1 else []) if a]) for r in rows]


def _read_aliases(path: Path) -> dict[str, list[str]]:
    """``alias<TAB>preferred label`` lines -> {preferred: [aliases]}."""
    table: dict[str, list[str]] = defaultdict(list)
    for alias, *rest in _read_tsv(path):
        table[rest[0][0] if rest and rest[0] else alias].append(alias)
    return table


def _with_aliases(entries: list[tuple[str, list[str]]], aliases: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    return [(pref, alts + aliases.get(pref, [])) for pref, alts in entries]


def clean_title(title: str) -> str:
    """A posting title without brackets, suffixes after separators and seniority or contract noise."""
    head = _TITLE_SPLIT.split(_BRACKETS.sub(" ", title or ""))[0]
    kept = [w for w in head.split() if w.casefold().strip(".") not in _TITLE_NOISE]
    return " ".join(kept) or head.strip()


@lru_cache(maxsize=4)
def default_normaliser(esco_dir: Path | None = None) -> TitleNormaliser:
    """A process-wide normaliser (ESCO from ``esco_dir`` if given and present, else the subset)."""
    return TitleNormaliser.load(esco_dir)


def normalise_title(title: str | None, normaliser: TitleNormaliser | None = None, min_score: float = MIN_SCORE) -> str | None:
    """The ESCO occupation to store as payload ``occupation`` for a posting or profile title, or None."""
    if not title or not title.strip():
        return None
    normaliser = normaliser or default_normaliser(_settings_esco_dir())
    return normaliser.best(clean_title(title), min_score)


def _settings_esco_dir() -> Path | None:
    from semstream.config import get_settings

    return esco_dir(get_settings().shared_data_dir)
