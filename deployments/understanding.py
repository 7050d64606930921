"""The QueryUnderstanding stage: parse the query, drop the facets the client disabled, plan the fallback.

The model (``semstream.models.qu.service.QueryUnderstanding``) parses and builds filters; this
stage adds what serving needs: explicit filters normalised as ingest does, facet chips that can
be switched off, and the relaxation ladder (explicit filters stay on every rung).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.schemas import EntityKind
from semstream.store.filters import Filter

from semstream.deployments.explicit import explicit_filter
from semstream.deployments.logs import log_stage
from semstream.deployments.stages import Relaxation, Understanding, UnderstandRequest

log = logging.getLogger(__name__)

# payload field -> the facet name a dropped condition is reported as
_FIELD_FACET = {"posted_ts": "recency", "skills_key": "skill", "company_key": "company"}


class QueryModel(Protocol):
    def understand(self, text: str, kind: EntityKind, explicit_filters: Filter | None = None
                   ) -> tuple[ParsedQuery, Filter, list[str]]: ...

    def ladder(self, parsed: ParsedQuery, explicit_filters: Filter | None = None) -> list[Filter]: ...


class UnderstandingService:
    def __init__(self, model: QueryModel, name: str = "qu") -> None:
        self.model = model
        self.name = name

    def understand(self, req: UnderstandRequest) -> Understanding:
        """Facets the client disabled, or whose field an explicit filter already sets, are left out."""
        started = time.perf_counter()
        explicit = explicit_filter(req.explicit)
        parsed, flt, hints = self.model.understand(req.text, req.kind, explicit)
        disabled = {d.casefold() for d in req.disabled}
        taken = {c.field for c in explicit.must} if explicit else set()
        gone = [f for f in parsed.facets if is_disabled(f, disabled) or facet_field(f.name) in taken]
        if gone:
            parsed = parsed.model_copy(update={"facets": [f for f in parsed.facets if f not in gone]})
            hints = [h for h in hints if not _mentions(h, gone)]
        rungs = self.model.ladder(parsed, explicit) or [flt]
        log_stage(log, "understand", req.request_id, started, facets=len(parsed.facets), rungs=len(rungs))
        return Understanding(
            original=parsed.original, rewrite=parsed.rewrite, flt=rungs[0], facets=parsed.facets, hints=hints,
            relaxations=[Relaxation(name=_dropped(a, b), flt=b) for a, b in zip(rungs, rungs[1:])], model=self.name,
        )


def facet_field(name: str) -> str:
    """The payload field a facet filters on (the QU model's mapping; the name itself otherwise)."""
    from semstream.models.qu.assemble import facet_field as qu_field

    return qu_field(name) or name


def facet_id(facet: Facet) -> str:
    return f"{facet.name}:{facet.value}"


def is_disabled(facet: Facet, disabled: set[str]) -> bool:
    """A facet is switched off by its name ('remote') or its id ('city:Berlin'); ``disabled`` is casefolded."""
    return facet.name.casefold() in disabled or facet_id(facet).casefold() in disabled


def _mentions(hint: str, facets: list[Facet]) -> bool:
    low = hint.casefold()
    return any(f.value.casefold() in low for f in facets if f.value)


def _dropped(stricter: Filter, looser: Filter) -> str:
    """What a relaxation rung gave up, as facet names ('skill', 'city', 'exclusions')."""
    kept = {c.field for c in looser.must}
    names = sorted({_FIELD_FACET.get(c.field, c.field) for c in stricter.must if c.field not in kept})
    if len(looser.must_not) < len(stricter.must_not):
        names.append("exclusions")
    return "+".join(names) or "filters"
