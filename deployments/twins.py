"""In-process twins of the serving graph's heavy parts, for tests and model-free demos.

``RuleQU`` stands in for the query-understanding model, ``OverlapRanker`` for the SLM ranker,
``ListSink`` for the Kafka producer. None of them is a serving default.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from semstream.models.embedder import Embedder
from semstream.models.facts import FACTS_VECTOR_KEY, encode_vector
from semstream.models.item_text import item_facts, item_text
from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.schemas import Document, EntityKind
from semstream.store.filters import Filter, Match

_REMOTE = ("remote", "hybrid", "onsite")
_SENIORITY = ("junior", "mid", "senior", "lead", "principal")
_CITY = re.compile(r"\bin ([a-z][a-z ]*?)(?=$| remote| hybrid| onsite)")


def _key(value: str) -> str:
    return " ".join(value.casefold().split())


class RuleQU:
    """Keyword rules: remote policy, seniority and 'in <city>' become hard facets; dropped in that order."""

    def understand(self, text: str, kind: EntityKind, explicit_filters: Filter | None = None
                   ) -> tuple[ParsedQuery, Filter, list[str]]:
        low = _key(text)
        facets = [Facet(name="remote", value=w, span=w) for w in _REMOTE if re.search(rf"\b{w}\b", low)][:1]
        facets += [Facet(name="seniority", value=w, span=w) for w in _SENIORITY if re.search(rf"\b{w}\b", low)][:1]
        if (city := _CITY.search(low)) is not None:
            facets.append(Facet(name="city", value=city.group(1).strip(), span=city.group(0)))
        rewrite = low
        for f in facets:
            rewrite = rewrite.replace(f.span or f.value, " ")
        parsed = ParsedQuery(kind=kind, original=text, rewrite=" ".join(rewrite.split()), facets=facets)
        return parsed, self.ladder(parsed, explicit_filters)[0], [f"prefers {f.value}" for f in facets]

    def ladder(self, parsed: ParsedQuery, explicit_filters: Filter | None = None) -> list[Filter]:
        """Strictest first; each rung drops one more facet; explicit conditions stay on every rung."""
        explicit = list(explicit_filters.must) if explicit_filters else []
        taken = {c.field for c in explicit}
        conds = [Match(field=f.name, value=f.value) for f in parsed.facets if f.hard and f.name not in taken]
        return [Filter(must=explicit + conds[i:]) for i in range(len(conds) + 1)]


class OverlapRanker:
    """Deterministic scores in (0, 1) from word overlap; ``delay_s`` simulates a slow model."""

    variant = "overlap-twin"
    version = "0"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0
        self.items_scored = 0
        self.last_query: RankQuery | None = None
        self.last_items: list[RankItem] = []

    def score(self, query: RankQuery, items: Sequence[RankItem]) -> list[float]:
        self.calls += 1
        self.items_scored += len(items)
        self.last_query, self.last_items = query, list(items)
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


_IN_PROCESS: dict[str, Any] = {}


class InProcess:
    """A picklable factory that returns one object living in this process.

    Serve pickles deployment arguments even in local testing mode; tests that want to reach the
    store or ranker a deployment uses (to update an item, slow the ranker) pass ``InProcess(obj)``.
    """

    def __init__(self, obj: Any) -> None:
        self.key = f"{type(obj).__name__}-{id(obj)}"
        _IN_PROCESS[self.key] = obj

    def __call__(self, settings: object = None) -> Any:
        return _IN_PROCESS[self.key]


def documents(kind: EntityKind, records: Sequence[dict[str, Any]], embedder: Embedder) -> list[Document]:
    """Store documents for ``records`` (each with ``id``, optional ``version``, payload fields)."""
    payloads = [{k: v for k, v in r.items() if k not in ("id", "version")} for r in records]
    vectors = embedder.embed([item_text(kind, p) for p in payloads])
    facts = embedder.embed([item_facts(kind, p) for p in payloads])
    return [Document(kind=kind, id=r["id"], version=r.get("version", 1), vector=[float(x) for x in v],
                     payload={**p, FACTS_VECTOR_KEY: encode_vector(f)})
            for r, p, v, f in zip(records, payloads, vectors, facts)]
