"""A small learned span tagger for where rules end: unknown company names ("at Acme"), unknown
skills, places and role phrases. An averaged perceptron over word, shape and context features,
trained in seconds on queries generated from templates; deterministic; saved as JSON."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from semstream.models.qu.exceptions import QUDataError

TAGS = ("O", "ROLE", "LOC", "SKILL", "COMPANY")
MODEL_FILE = Path(__file__).with_name("data") / "tagger.json"
FORMAT_VERSION = 1


def shape(word: str) -> str:
    """Word shape with runs collapsed: Acme -> Xx, iOS -> xX, C++ -> X+, 3D -> dX."""
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:6]


def token_features(words: Sequence[str], i: int, prev_tag: str) -> list[str]:
    w = words[i]
    low = w.casefold()
    prev = words[i - 1].casefold() if i > 0 else "<s>"
    prev2 = words[i - 2].casefold() if i > 1 else "<s>"
    nxt = words[i + 1].casefold() if i + 1 < len(words) else "</s>"
    return [
        "b", f"w={low}", f"s3={low[-3:]}", f"p3={low[:3]}", f"sh={shape(w)}", f"pw={prev}", f"nw={nxt}",
        f"p2={prev2}", f"pt={prev_tag}", f"pt+w={prev_tag}|{low}", f"pw+sh={prev}|{shape(w)}",
        f"first={i == 0}", f"len={min(len(w), 8)}", f"pt+pw={prev_tag}|{prev}",
    ]


class Tagger:
    """Greedy left-to-right tagger; ``spans`` returns (label, start, end) runs of non-O tags."""

    def __init__(self, weights: dict[str, dict[str, float]]) -> None:
        self.weights = weights

    def tag(self, words: Sequence[str]) -> list[str]:
        tags: list[str] = []
        for i in range(len(words)):
            tags.append(self._best(token_features(words, i, tags[-1] if tags else "<s>")))
        return tags

    def spans(self, words: Sequence[str]) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        tags = self.tag(words)
        i = 0
        while i < len(tags):
            j = i
            while j < len(tags) and tags[j] == tags[i]:
                j += 1
            if tags[i] != "O":
                out.append((tags[i], i, j))
            i = j
        return out

    def _best(self, feats: list[str]) -> str:
        scores = dict.fromkeys(TAGS, 0.0)
        for f in feats:
            for tag, w in self.weights.get(f, {}).items():
                scores[tag] += w
        return max(TAGS, key=lambda t: (scores[t], -TAGS.index(t)))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"format": FORMAT_VERSION, "tags": TAGS, "weights": self.weights}, separators=(",", ":")))

    @classmethod
    def load(cls, path: Path | None = None) -> Tagger:
        path = path or MODEL_FILE
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION or tuple(data["tags"]) != TAGS:
                raise ValueError(f"unsupported format {data.get('format')!r}")
            return cls(data["weights"])
        except (OSError, ValueError, KeyError) as e:
            raise QUDataError(f"cannot load tagger {path}: {e}") from e


def train(sentences: Sequence[tuple[list[str], list[str]]], epochs: int = 6, seed: int = 7, prune: float = 1e-3) -> Tagger:
    """Averaged perceptron with greedy decoding; the order of updates is seeded, so training is deterministic."""
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[tuple[str, str], float] = defaultdict(float)
    stamps: dict[tuple[str, str], int] = defaultdict(int)
    step, order, rng = 0, list(range(len(sentences))), random.Random(seed)
    model = Tagger(weights)  # type: ignore[arg-type]
    for _ in range(epochs):
        rng.shuffle(order)
        for idx in order:
            words, gold = sentences[idx]
            prev = "<s>"
            for i in range(len(words)):
                step += 1
                feats = token_features(words, i, prev)
                guess = model._best(feats)
                if guess != gold[i]:
                    for f in feats:
                        for tag, delta in ((gold[i], 1.0), (guess, -1.0)):
                            key = (f, tag)
                            totals[key] += (step - stamps[key]) * weights[f][tag]
                            stamps[key] = step
                            weights[f][tag] += delta
                prev = gold[i]
    averaged: dict[str, dict[str, float]] = {}
    for f, tags in weights.items():
        for tag, w in tags.items():
            avg = (totals[(f, tag)] + (step - stamps[(f, tag)]) * w) / step
            if abs(avg) >= prune:
                averaged.setdefault(f, {})[tag] = round(avg, 4)
    return Tagger(averaged)


@lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """The bundled model (``data/tagger.json``); trained from the generator when the file is missing."""
    if MODEL_FILE.is_file():
        return Tagger.load(MODEL_FILE)
    from semstream.models.qu.tagger_data import generate

    return train(generate())
