"""Turns a parse state into the ParsedQuery: field values, kind-aware hardness, rewrite, ranker hints."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.models.qu.text import Prepass, Token
from semstream.models.qu.vocab import FILLERS, STOPWORDS
from semstream.store.fields import FILTER_FIELDS

if TYPE_CHECKING:
    from semstream.models.qu.parser import _State

DAY = 86_400
_DROP_FROM_REWRITE = {"location", "remote", "employment_type", "recency", "salary", "years_experience",
                      "open_to_work", "company", "negation", "excluded", "COMPANY"}


def facet_field(name: str) -> str | None:
    from semstream.models.qu.parser import FACET_FIELDS

    return FACET_FIELDS.get(name)


def build_parsed(state: _State, pre: Prepass, occupation: str | None, candidates: list[tuple[str, float]], now: datetime) -> ParsedQuery:
    facets = list(state.facets) + _prepass_facets(pre)
    if occupation:
        facets.append(Facet(name="occupation", value=occupation, hard=False))
    _demote_missing_fields(facets, state)
    positive = [f for f in facets if not f.negated]
    parsed = ParsedQuery(
        kind=state.kind,
        original=state.text,
        rewrite=rewrite(state.tokens),
        occupation=occupation,
        occupation_candidates=[label for label, _ in candidates],
        seniority=_first(positive, "seniority"),
        city=state.place_name,
        country=state.country_name,
        remote=_first(positive, "remote"),  # type: ignore[arg-type]
        posted_within_days=pre.days,
        employment_type=_first(positive, "employment_type"),
        company=_first(positive, "company"),
        skills=list(dict.fromkeys(f.value for f in positive if f.name == "skill")),
        excluded=list(dict.fromkeys(state.excluded_words)),
        salary_hint=pre.salary,
        facets=facets,
        posted_after_ts=int(now.timestamp()) - pre.days * DAY if pre.days else None,
        min_years_experience=pre.years,
        open_to_work=True if pre.open_to_work else None,
        parser="rules+tagger" if any(t.used and t.used.isupper() for t in state.tokens) else "rules",
    )
    parsed.ranker_hints = ranker_hints(parsed)
    return parsed


def _prepass_facets(pre: Prepass) -> list[Facet]:
    facets = []
    if pre.days:
        facets.append(Facet(name="recency", value=str(pre.days)))
    if pre.salary:
        facets.append(Facet(name="salary", value=pre.salary, hard=False))
    if pre.years is not None:
        facets.append(Facet(name="years_experience", value=str(pre.years)))
    if pre.open_to_work:
        facets.append(Facet(name="open_to_work", value="true"))
    return facets


def _demote_missing_fields(facets: list[Facet], state: _State) -> None:
    """A hard facet whose payload field this kind lacks becomes a ranker hint."""
    fields = FILTER_FIELDS[state.kind]
    for facet in facets:
        if facet.hard and facet_field(facet.name) not in fields:
            facet.hard = False


def _first(facets: list[Facet], name: str) -> str | None:
    return next((f.value for f in facets if f.name == name), None)


def rewrite(tokens: list[Token]) -> str:
    """The query without hard-facet spans and filler words; never empty when it had content words."""
    kept = [t for t in tokens if t.used not in _DROP_FROM_REWRITE and not t.negated and t.low not in FILLERS]
    words = _trim_stopwords(kept, tokens)
    if words:
        return " ".join(words)
    content = [t for t in tokens if t.low not in STOPWORDS and t.used != "negation"]
    return " ".join(t.best for t in ([t for t in content if t.low not in FILLERS] or content))


def _trim_stopwords(kept: list[Token], tokens: list[Token]) -> list[str]:
    """Drop stop words left dangling by removed spans ("in" of "in Berlin") and at the edges."""
    out: list[Token] = []
    position = {id(t): i for i, t in enumerate(tokens)}
    for k, tok in enumerate(kept):
        if tok.low in STOPWORDS:
            nxt = kept[k + 1] if k + 1 < len(kept) else None
            if nxt is None or position[id(nxt)] != position[id(tok)] + 1 or not out:
                continue
        out.append(tok)
    while out and out[-1].low in STOPWORDS:
        out.pop()
    return [t.best for t in out]


# Facet name -> its label in a ranker hint line, in the order hints are listed.
HINT_LABELS: dict[str, str] = {
    "occupation": "role", "seniority": "seniority", "skill": "skills", "company_type": "company type",
    "location": "location", "salary": "salary", "company": "company", "remote": "workplace",
    "employment_type": "employment", "recency": "posted within days", "years_experience": "min years of experience",
    "city": "city", "country": "country",
}


def hint_line(name: str, values: list[str]) -> str:
    """``label: v1, v2`` for a facet's values (duplicates dropped, order kept)."""
    return f"{HINT_LABELS[name]}: {', '.join(dict.fromkeys(values))}"


def ranker_hints(parsed: ParsedQuery) -> list[str]:
    """Soft facets as short lines for the ranker's prompt."""
    soft = [f for f in parsed.facets if not f.hard]
    hints: list[str] = []
    for name in HINT_LABELS:
        values = [f.value for f in soft if f.name == name and not f.negated]
        if values:
            hints.append(hint_line(name, values))
    excluded = [f.span or f.value for f in soft if f.negated] + [w for w in parsed.excluded if not _mapped(parsed, w)]
    if excluded:
        hints.append(f"exclude: {', '.join(dict.fromkeys(excluded))}")
    return hints


def _mapped(parsed: ParsedQuery, word: str) -> bool:
    return any(f.negated and (f.span or "").casefold() == word for f in parsed.facets)
