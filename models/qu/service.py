"""QueryUnderstanding: what the serving deployment wraps. Parse (rules + tagger, or the optional
LLM with a rules fallback), build the filter, merge the client's explicit filters, list ranker hints."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from semstream.models.qu.exceptions import LLMParseError
from semstream.models.qu.filters import merge_filters, relaxation_ladder, to_filter
from semstream.models.qu.gazetteer import Gazetteer
from semstream.models.qu.learned import Tagger, default_tagger
from semstream.models.qu.parser import QueryParser
from semstream.models.qu.schema import ParsedQuery
from semstream.models.qu.titles import TitleNormaliser
from semstream.models.qu.vocab import Vocab
from semstream.schemas import EntityKind
from semstream.shared_data import esco_dir
from semstream.store.filters import Filter

log = logging.getLogger(__name__)


class QueryUnderstanding:
    """``understand(text, kind, explicit_filters)`` -> (ParsedQuery, Filter, ranker hints)."""

    def __init__(self, parser: QueryParser, llm: object | None = None) -> None:
        self.parser = parser
        self.llm = llm  # an LLMParser (see llm.py) or None

    @classmethod
    def load(cls, esco_dir: Path | None = None, tagger: Tagger | None | bool = True, llm: object | None = None) -> QueryUnderstanding:
        """Bundled gazetteer and vocabulary, ESCO titles from ``esco_dir`` (or the bundled subset)."""
        model = default_tagger() if tagger is True else (tagger or None)
        parser = QueryParser(TitleNormaliser.load(esco_dir), Gazetteer.load(), Vocab.load(), model)
        return cls(parser, llm)

    @classmethod
    def from_shared_data(cls, shared_data_dir: Path) -> QueryUnderstanding:
        """Rules + tagger over ESCO titles from the shared data when present (as ingest normalises titles)."""
        return cls.load(esco_dir(shared_data_dir))

    @classmethod
    @lru_cache(maxsize=2)
    def shared(cls, shared_data_dir: Path) -> QueryUnderstanding:
        """One ``from_shared_data`` per process for offline callers (training, evaluation)."""
        return cls.from_shared_data(Path(shared_data_dir))

    def hints(self, kind: EntityKind, text: str) -> list[str]:
        """The ranker hints serving sends with ``text`` (no client filters)."""
        return self.understand(text, kind)[2]

    def parse(self, text: str, kind: EntityKind, now: datetime | None = None) -> ParsedQuery:
        if self.llm is not None:
            try:
                return self.llm.parse(text, kind, now)  # type: ignore[attr-defined]
            except LLMParseError as e:
                log.warning("LLM query parser failed, using rules: %s", e)
        return self.parser.parse(text, kind, now)

    def understand(self, text: str, kind: EntityKind, explicit_filters: Filter | None = None,
                   now: datetime | None = None) -> tuple[ParsedQuery, Filter, list[str]]:
        parsed = self.parse(text, kind, now)
        return parsed, merge_filters(explicit_filters, to_filter(parsed)), list(parsed.ranker_hints)

    def ladder(self, parsed: ParsedQuery, explicit_filters: Filter | None = None) -> list[Filter]:
        """The relaxation ladder with the explicit filters kept on every rung."""
        rungs = [merge_filters(explicit_filters, f) for f in relaxation_ladder(parsed)]
        return [f for i, f in enumerate(rungs) if i == 0 or f != rungs[i - 1]]
