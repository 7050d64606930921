"""ESCO occupations as a title vocabulary: label -> occupation, tolerant of real-world titles.

``EscoIndex.load(dir)`` reads ``occupations_en.csv`` (ESCO v1.2). ``lookup`` tries the exact
canonical label, then the label without seniority words and filler, then the best token-set
overlap (Jaccard >= ``min_jaccard``) among labels sharing the title's rarest token.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from semstream.models.judge.exceptions import JudgeError
from semstream.models.judge.text import role_tokens, tokens

OCCUPATIONS_FILE = "occupations_en.csv"


@dataclass(frozen=True)
class Occupation:
    uri: str
    preferred: str
    alt_labels: tuple[str, ...] = ()
    isco: str = ""

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.preferred, *self.alt_labels)


@dataclass
class EscoIndex:
    occupations: list[Occupation]
    min_jaccard: float = 0.6
    _by_label: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _by_token: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set), init=False, repr=False)
    _labels: list[tuple[frozenset[str], int]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        for idx, occ in enumerate(self.occupations):
            for label in occ.labels:
                self._add(label, idx)

    @classmethod
    def load(cls, directory: Path | str) -> EscoIndex:
        """Read ``occupations_en.csv`` from an ESCO v1.2 download folder."""
        path = Path(directory) / OCCUPATIONS_FILE
        try:
            with path.open(encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            raise JudgeError(f"cannot read ESCO occupations at {path}: {e}") from e
        return cls.from_rows(rows)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> EscoIndex:
        """Build from CSV-like rows with ``preferredLabel``, ``altLabels`` (newline-separated), ``iscoGroup``."""
        occupations = [
            Occupation(
                uri=row.get("conceptUri") or row["preferredLabel"],
                preferred=row["preferredLabel"].strip(),
                alt_labels=tuple(a.strip() for a in (row.get("altLabels") or "").splitlines() if a.strip()),
                isco=(row.get("iscoGroup") or "").strip(),
            )
            for row in rows
            if (row.get("preferredLabel") or "").strip()
        ]
        return cls(occupations)

    def lookup(self, title: str) -> Occupation | None:
        """The occupation a title names, or None when nothing is close enough."""
        exact = self._by_label.get(" ".join(tokens(title)))
        if exact is not None:
            return self.occupations[exact]
        core = role_tokens(title)
        if not core:
            return None
        stripped = self._by_label.get(" ".join(core))
        if stripped is not None:
            return self.occupations[stripped]
        return self._fuzzy(frozenset(core))

    def synonyms(self, title: str) -> tuple[str, ...]:
        """All labels of the occupation a title names (empty when unknown)."""
        occ = self.lookup(title)
        return occ.labels if occ else ()

    def _add(self, label: str, idx: int) -> None:
        key = " ".join(tokens(label))
        if not key:
            return
        self._by_label.setdefault(key, idx)
        toks = frozenset(role_tokens(label))
        pos = len(self._labels)
        self._labels.append((toks, idx))
        for tok in toks:
            self._by_token[tok].add(pos)

    def _fuzzy(self, core: frozenset[str]) -> Occupation | None:
        known = [t for t in core if t in self._by_token]
        if not known:
            return None
        rarest = min(known, key=lambda t: (len(self._by_token[t]), t))
        best: tuple[float, int, int] | None = None  # (-jaccard, label length, occupation idx)
        for pos in sorted(self._by_token[rarest]):
            toks, idx = self._labels[pos]
            jac = len(core & toks) / len(core | toks)
            cand = (-jac, len(toks), idx)
            if jac >= self.min_jaccard and (best is None or cand < best):
                best = cand
        return self.occupations[best[2]] if best else None
