"""The ranker prompt: ``[instruction][query + searcher + hints][item text][suffix]`` as token ids.

With ``occupation_line`` set, an item's text carries its standardised occupation (the ESCO label ingest
stores as payload ``occupation``) right after its head line, so labels of one occupation read alike.

Each segment is tokenised on its own and the ids are concatenated, so the shared query prefix
has exactly the same ids whether it is run alone (prefix reuse) or inside the full sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from semstream.models.item_text import entity_title, item_text
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.schemas import EntityKind

_NOUN = {EntityKind.JOB: "job posting", EntityKind.PROFILE: "member profile"}
_LABEL = {EntityKind.JOB: "Job", EntityKind.PROFILE: "Profile"}


class PromptTemplate(BaseModel):
    """Text pieces of the prompt; stored in the model config so serving renders what training saw."""

    instruction: str = "Does the {noun} match the search? Answer yes or no."
    query_line: str = "Search: {text}"
    searcher_line: str = "Searcher: {context}"
    hints_line: str = "Hints: {hints}"
    item_line: str = "{label}: {text}"
    occupation_line: str = ""  # e.g. "Occupation: {occupation}": the item's standardised title after its head line
    suffix: str = "Relevant:"
    max_item_chars: int = 2000
    max_query_tokens: int = 48

    def prefix_text(self, query: RankQuery) -> str:
        lines = [self.instruction.format(noun=_NOUN[query.kind]), self.query_line.format(text=query.text)]
        if query.searcher:
            lines.append(self.searcher_line.format(context=_render_context(query.searcher)))
        if query.hints:
            lines.append(self.hints_line.format(hints="; ".join(query.hints)))
        return "\n".join(lines) + "\n"

    def item_body(self, kind: EntityKind, item: RankItem) -> str:
        text = item_text(kind, item.payload, self.max_item_chars)
        occupation = self.occupation_line and item_occupation(kind, item.payload)
        if occupation:
            head, _, rest = text.partition("\n")
            text = "\n".join(p for p in (head, self.occupation_line.format(occupation=occupation), rest) if p)
        return self.item_line.format(label=_LABEL[kind], text=text)


def item_occupation(kind: EntityKind, payload: dict[str, Any]) -> str | None:
    """The payload's ``occupation`` (set at ingest), else its title standardised the same way ingest does."""
    if payload.get("occupation"):
        return str(payload["occupation"])
    from semstream.models.qu.titles import normalise_title

    return normalise_title(entity_title(kind, payload))


def _render_context(searcher: dict[str, Any]) -> str:
    parts = []
    for key in sorted(searcher):
        value = searcher[key]
        if value in (None, "", []):
            continue
        parts.append(f"{key}={', '.join(map(str, value)) if isinstance(value, list) else value}")
    return "; ".join(parts)


class PromptEncoder:
    """Turns (query, items) into token ids under a total token cap."""

    def __init__(self, tokenizer: Any, template: PromptTemplate, max_tokens: int) -> None:
        self.tokenizer = tokenizer
        self.template = template
        self.max_tokens = max_tokens
        self._start = _start_ids(tokenizer)
        self.suffix_ids = self._ids("\n" + template.suffix)
        if len(self._start) + len(self.suffix_ids) + template.max_query_tokens + 8 > max_tokens:
            raise ValueError(f"max_tokens={max_tokens} leaves no room for the item text")

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prefix(self, query: RankQuery) -> list[int]:
        """Start token(s) + instruction + query part, the query part capped at max_query_tokens."""
        ids = self._ids(self.template.prefix_text(query))
        return self._start + ids[: self.template.max_query_tokens]

    def suffixes(self, query: RankQuery, items: Sequence[RankItem], prefix_len: int) -> list[list[int]]:
        """Item text + answer suffix per item, the item cut so the whole sequence fits max_tokens."""
        room = self.max_tokens - prefix_len - len(self.suffix_ids)
        bodies = [self.template.item_body(query.kind, item) for item in items]
        encoded = self.tokenizer(bodies, add_special_tokens=False)["input_ids"] if bodies else []
        return [list(ids[:room]) + self.suffix_ids for ids in encoded]

    def full(self, query: RankQuery, items: Sequence[RankItem]) -> list[list[int]]:
        prefix = self.prefix(query)
        return [prefix + s for s in self.suffixes(query, items, len(prefix))]


def _start_ids(tokenizer: Any) -> list[int]:
    """BERT-style vocabularies start with [CLS]; decoder vocabularies with BOS when they define one."""
    for attr in ("cls_token_id", "bos_token_id"):
        token_id = getattr(tokenizer, attr, None)
        if token_id is not None:
            return [int(token_id)]
    return []
