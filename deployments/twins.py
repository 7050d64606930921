"""In-process twins of the serving graph's heavy parts, for tests and model-free demos.

``RuleQU`` stands in for the query-understanding model, ``OverlapRanker`` for the SLM ranker,
``ListSink`` for the Kafka producer. None of them is a serving default.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from semstream.models.item_text import item_text
from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.schemas import EntityKind
from semstream.store.filters import Condition, Filter, Match, Range

_REMOTE = ("remote", "hybrid", "onsite")
_SENIORITY = ("junior", "mid", "senior", "lead", "principal")
_CITY = re.compile(r"\bin ([a-z][a-z ]*?)(?=$| remote| hybrid| onsite)")


def _key(value: str) -> str:
    return " ".join(value.casefold().split())


class RuleQU:
    """Keyword rules: remote policy, seniority and 'in <city>' become hard facets."""

    def understand(self, text: str, kind: EntityKind, explicit_filters: dict[str, Any] | None = None
                   ) -> tuple[ParsedQuery, Filter, list[str]]:
        low = _key(text)
        facets = [Facet(name="remote", value=w, span=w) for w in _REMOTE if re.search(rf"\b{w}\b", low)][:1]
        facets += [Facet(name="seniority", value=w, span=w) for w in _SENIORITY if re.search(rf"\b{w}\b", low)][:1]
        if (city := _CITY.search(low)) is not None:
            facets.append(Facet(name="location", value=city.group(1).strip(), span=city.group(0)))
        rewrite = low
        for f in facets:
            rewrite = rewrite.replace(f.span or f.value, " ")
        must: list[Condition] = [Match(field=_FIELD[f.name], value=f.value) for f in facets]
        must += _explicit(explicit_filters or {})
        parsed = ParsedQuery(kind=kind, original=text, rewrite=" ".join(rewrite.split()), facets=facets,
                             remote=next((f.value for f in facets if f.name == "remote"), None))
        return parsed, Filter(must=must), []


_FIELD = {"remote": "remote", "seniority": "seniority", "location": "city"}


def _explicit(explicit: dict[str, Any]) -> list[Condition]:
    out: list[Condition] = []
    for name, field in (("remote", "remote"), ("city", "city"), ("country", "country"), ("seniority", "seniority"),
                        ("employment_type", "employment_type"), ("company", "company_key"),
                        ("open_to_work", "open_to_work")):
        if name in explicit:
            value = explicit[name]
            out.append(Match(field=field, value=_key(value) if isinstance(value, str) else value))
    out += [Match(field="skills_key", value=_key(s)) for s in explicit.get("skills", [])]
    if "min_years_experience" in explicit or "max_years_experience" in explicit:
        out.append(Range(field="years_experience", gte=explicit.get("min_years_experience"),
                         lte=explicit.get("max_years_experience")))
    return out


class OverlapRanker:
    """Deterministic scores in (0, 1) from word overlap; ``delay_s`` simulates a slow model."""

    variant = "overlap-twin"
    version = "0"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0
        self.items_scored = 0

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        self.calls += 1
        self.items_scored += len(items)
        if self.delay_s:
            time.sleep(self.delay_s)
        words = set(re.findall(r"\w+", query.text.casefold()))
        return [_overlap(words, item_text(query.kind, item.payload)) for item in items]


def _overlap(words: set[str], text: str) -> float:
    found = set(re.findall(r"\w+", text.casefold()))
    return (len(words & found) + 1) / (len(words) + 2)


class ListSink:
    """Keeps every record sent, in order."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes | None, bytes]] = []

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.records.append((topic, key, value))

    def flush(self, timeout_s: float = 10.0) -> None:
        pass

    def close(self) -> None:
        pass
