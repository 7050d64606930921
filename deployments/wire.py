"""HTTP wire models: what clients send and receive, with the input limits.

Validation errors become 422 answers whose message names the field (see ``http.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints, model_validator

from semstream.models.engagement.schema import ACTIONS
from semstream.schemas import EntityKind, RemotePolicy

MAX_QUERY_CHARS = 500
MAX_K = 100
MAX_DEPTH = 1000
MAX_LIST = 50

Vertical = Literal["jobs", "people"]
Action = Literal["impression", "click", "apply", "dismiss", "profile_view", "connect", "message"]
# pattern \S: not whitespace only (OpenAPI then says what the strip + min_length check means)
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"\S")]
Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_CHARS,
                                         pattern=r"\S")]


def _whole_number(value: Any) -> Any:
    """JSON integers, also written as 12.0 (JSON Schema's integer); never true/false or "12"."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    return value


# Bounded integers: lax parsing (12.0 -> 12, 12.5 refused) after ``_whole_number``; the bounds sit
# inside the type so OpenAPI shows them as minimum/maximum.
_Whole = BeforeValidator(_whole_number)
Days = Annotated[int, Strict(False), Ge(1), Le(3650), _Whole]
Years = Annotated[int, Strict(False), Ge(0), Le(80), _Whole]
TopK = Annotated[int, Strict(False), Ge(1), Le(MAX_K), _Whole]
Depth = Annotated[int, Strict(False), Ge(1), Le(MAX_DEPTH), _Whole]
Position = Annotated[int, Strict(False), Ge(0), Le(MAX_DEPTH), _Whole]

VERTICAL_KIND: dict[str, EntityKind] = {"jobs": EntityKind.JOB, "people": EntityKind.PROFILE}
KIND_VERTICAL: dict[EntityKind, str] = {v: k for k, v in VERTICAL_KIND.items()}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)  # no "5" or true for 5


class JobFilters(_Strict):
    """Explicit job filters; they are never relaxed."""

    remote: RemotePolicy | None = None
    city: ShortText | None = None
    country: ShortText | None = None
    seniority: ShortText | None = None
    employment_type: ShortText | None = None
    company: ShortText | None = None
    skills: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    posted_within_days: Days | None = None


class PeopleFilters(_Strict):
    """Explicit people filters; they are never relaxed."""

    city: ShortText | None = None
    country: ShortText | None = None
    seniority: ShortText | None = None
    company: ShortText | None = None
    skills: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    open_to_work: bool | None = None
    min_years_experience: Years | None = None
    max_years_experience: Years | None = None


class SearcherContext(_Strict):
    """Who is searching; the ranker sees it, the score cache is keyed by it."""

    id: ShortText | None = None
    title: ShortText | None = None
    headline: ShortText | None = None
    company: ShortText | None = None
    location: ShortText | None = None
    seniority: ShortText | None = None
    skills: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    years_experience: Years | None = None


class _SearchRequest(_Strict):
    query: Query = Field(description=f"What to look for (1-{MAX_QUERY_CHARS} characters).")
    searcher: SearcherContext | None = None
    k: TopK = Field(10, description="Results to return.")
    depth: Depth | None = Field(None, description="Candidates to retrieve (K); default from settings.")
    disabled_facets: list[ShortText] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="Facets to ignore, by name ('remote') or id ('remote:remote') as listed in applied_facets.",
    )

    def explicit_filters(self) -> dict[str, Any]:
        flt = getattr(self, "filters", None)
        return flt.model_dump(exclude_none=True, exclude_defaults=True) if flt is not None else {}


class JobSearchRequest(_SearchRequest):
    filters: JobFilters | None = None


class PeopleSearchRequest(_SearchRequest):
    filters: PeopleFilters | None = None


class ResultItem(BaseModel):
    id: str
    rank: int = Field(description="1-based position in this answer.")
    score: float = Field(description="Calibrated P(relevant); the retrieval score when the ranker was degraded.")
    retrieval_score: float
    version: int
    relaxed: bool = Field(False, description="Found only after some query-understanding filters were dropped.")
    title: str | None = None
    headline: str | None = None
    name: str | None = None
    company: str | None = None
    location: str | None = None
    remote: str | None = None
    seniority: str | None = None
    employment_type: str | None = None
    skills: list[str] = Field(default_factory=list)
    years_experience: int | None = None
    open_to_work: bool | None = None
    snippet: str | None = None


class AppliedFacet(BaseModel):
    id: str = Field(description="'name:value'; send it in disabled_facets to drop this facet.")
    name: str
    value: str
    hard: bool
    negated: bool = False
    span: str | None = None


class Timings(BaseModel):
    understand: float
    retrieve: float
    rank: float
    total: float


class RankerInfo(BaseModel):
    variant: str
    version: str
    degraded: bool = False
    reason: str | None = None


class DepthInfo(BaseModel):
    requested: int = Field(description="Candidates asked of retrieval (K).")
    retrieved: int = Field(description="Candidates retrieval found.")
    ranked: int = Field(description="Candidates the ranker scored (N, set by the depth controller).")
    collapsed: int = Field(0, description="Re-posted duplicates of shown candidates left out (same title, "
                           "company, place and text under another id).")


class CacheInfo(BaseModel):
    hit: bool = Field(description="Every ranked score came from the score cache.")
    reused: int = 0
    scored: int = 0


class SearchResponse(BaseModel):
    vertical: Vertical
    query: str
    rewrite: str
    items: list[ResultItem]
    applied_facets: list[AppliedFacet]
    disabled_facets: list[str]
    relaxed: list[str] = Field(description="Query-understanding filters dropped because too few results matched.")
    timings_ms: Timings
    ranker: RankerInfo
    depth: DepthInfo
    cache_hit: bool
    cache: CacheInfo
    models: dict[str, str] = Field(description="Model name and version per stage.")


class FeedbackRequest(_Strict):
    """One engagement event from a results page ("click" on a person is recorded as "profile_view")."""

    vertical: Vertical
    action: Action
    query: Query
    item_id: ShortText
    position: Position = Field(description="0-based index of the item in the list shown.")
    searcher_id: ShortText = "anonymous"

    @model_validator(mode="after")
    def _action_fits_vertical(self) -> FeedbackRequest:
        allowed = ACTIONS[VERTICAL_KIND[self.vertical]] + (("click",) if self.vertical == "people" else ())
        if self.action not in allowed:
            raise ValueError(f"action: {self.action!r} is not a {self.vertical} action; expected one of {allowed}")
        return self

    def event_action(self) -> str:
        return "profile_view" if self.vertical == "people" and self.action == "click" else self.action


class FeedbackAck(BaseModel):
    accepted: bool = True
    topic: str


class ErrorBody(BaseModel):
    error: str
    message: str
    fields: list[str] = Field(default_factory=list)
