"""How a ranked candidate reads in the HTTP answer: key fields only, no long text or internals."""

from __future__ import annotations

from typing import Any

from semstream.deployments.stages import Candidate
from semstream.deployments.wire import ResultItem

SNIPPET_CHARS = 240
# Every payload key ``result_item`` reads (retrieval fetches these, not whole payloads).
DISPLAY_FIELDS = ("title", "current_title", "headline", "name", "company", "current_company", "location", "remote",
                  "seniority", "employment_type", "skills", "years_experience", "open_to_work", "description",
                  "summary")


def _first(payload: dict[str, Any], *keys: str) -> Any:
    return next((payload[k] for k in keys if payload.get(k) not in (None, "", [])), None)


def _text(payload: dict[str, Any], *keys: str) -> str | None:
    value = _first(payload, *keys)
    return None if value is None else str(value)


def _snippet(payload: dict[str, Any]) -> str | None:
    text = _first(payload, "description", "summary")
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def result_item(c: Candidate, rank: int, score: float) -> ResultItem:
    p = c.payload
    skills = p.get("skills") if isinstance(p.get("skills"), list) else []
    return ResultItem(
        id=c.id, rank=rank, score=round(float(score), 6), retrieval_score=round(c.retrieval_score, 6),
        version=c.version, relaxed=c.tier > 0,
        title=_text(p, "title", "current_title"), headline=_text(p, "headline"), name=_text(p, "name"),
        company=_text(p, "company", "current_company"), location=_text(p, "location"),
        remote=_text(p, "remote"), seniority=_text(p, "seniority"), employment_type=_text(p, "employment_type"),
        skills=[str(s) for s in skills][:20], years_experience=_int(p.get("years_experience")),
        open_to_work=p.get("open_to_work") if isinstance(p.get("open_to_work"), bool) else None,
        snippet=_snippet(p),
    )
