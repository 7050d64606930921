"""Training examples: one (query, item) pair with per-task soft targets and a loss mask."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from semstream.models.ranker.protocol import RankItem, RankQuery


@dataclass
class Example:
    """``targets[t]`` is a probability for task t; ``mask[t]`` is 0 where task t was not observed."""

    group: str
    query: RankQuery
    item: RankItem
    targets: list[float]
    mask: list[float]
    position: int = 0
    grade: int | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["query"], data["item"] = self.query.model_dump(mode="json"), self.item.model_dump(mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict) -> Example:
        data = dict(data)
        data["query"], data["item"] = RankQuery(**data["query"]), RankItem(**data["item"])
        return cls(**data)


def save_examples(examples: Iterable[Example], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as f:
        for ex in examples:
            f.write(json.dumps(ex.to_json()) + "\n")
    tmp.replace(path)
    return path


def load_examples(path: Path) -> list[Example]:
    with path.open() as f:
        return [Example.from_json(json.loads(line)) for line in f if line.strip()]


def by_group(examples: Sequence[Example]) -> dict[str, list[int]]:
    """Example indices per query group, in first-seen order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups[ex.group].append(i)
    return dict(groups)
