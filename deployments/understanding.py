"""The QueryUnderstanding stage: parse the query, drop disabled facets, plan the fallback."""

from __future__ import annotations

from typing import Any, Protocol

from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.schemas import EntityKind
from semstream.store.filters import Filter

from semstream.deployments.facets import disable_facets, is_disabled, protected_fields, relaxation_plan
from semstream.deployments.stages import Understanding, UnderstandRequest


class QueryModel(Protocol):
    """What ``semstream.models.qu.service.QueryUnderstanding`` offers."""

    def understand(
        self, text: str, kind: EntityKind, explicit_filters: dict[str, Any] | None = None
    ) -> tuple[ParsedQuery, Filter, list[str]]: ...


class UnderstandingService:
    def __init__(self, model: QueryModel, name: str = "qu") -> None:
        self.model = model
        self.name = name

    def understand(self, req: UnderstandRequest) -> Understanding:
        parsed, flt, hints = self.model.understand(req.text, req.kind, req.explicit or None)
        disabled = set(req.disabled)
        flt = disable_facets(flt, parsed.facets, disabled)
        active = [f for f in parsed.facets if not is_disabled(f, disabled)]
        gone = [f for f in parsed.facets if is_disabled(f, disabled)]
        return Understanding(
            original=parsed.original,
            rewrite=parsed.rewrite,
            flt=flt,
            facets=active,
            hints=[h for h in hints if not _mentions(h, gone)],
            relaxations=relaxation_plan(flt, protected_fields(req.explicit)),
            model=self.name,
        )


def _mentions(hint: str, facets: list[Facet]) -> bool:
    low = hint.casefold()
    return any(f.value.casefold() in low for f in facets if f.value)

