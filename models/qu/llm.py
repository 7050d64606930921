"""Optional LLM query parser through any OpenAI-compatible ``/chat/completions`` endpoint (off by
default). The model answers a JSON object of raw fields; every value is then normalised with the
same gazetteer, vocabulary and title normaliser as the rules, so both parsers emit one schema."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
from pydantic import BaseModel, Field, ValidationError

from semstream.models.qu.assemble import DAY, ranker_hints
from semstream.models.qu.exceptions import LLMParseError
from semstream.models.qu.parser import QueryParser
from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.models.qu.text import clean
from semstream.models.qu.vocab import company_key, normalise_employment_type, normalise_remote, normalise_seniority
from semstream.schemas import EntityKind
from semstream.store.fields import FILTER_FIELDS

SYSTEM_PROMPT = """You turn a {vertical} search query into JSON with exactly these keys:
role (job title or null), seniority (intern|junior|mid|senior|lead|principal|director|executive|null),
city (or null), country (or null), remote (remote|hybrid|onsite|null), posted_within_days (int|null),
employment_type (full_time|part_time|contract|freelance|internship|temporary|null), company (or null),
must_have_skills (list), nice_to_have_skills (list), excluded (list of negated terms), salary_hint (or null),
rewrite (the remaining free text). Answer with the JSON object only."""


class LLMFields(BaseModel):
    """What the model must answer; unknown keys are ignored."""

    role: str | None = None
    seniority: str | None = None
    city: str | None = None
    country: str | None = None
    remote: str | None = None
    posted_within_days: int | None = Field(None, ge=1, le=3650)
    employment_type: str | None = None
    company: str | None = None
    must_have_skills: list[str] = Field(default_factory=list)
    nice_to_have_skills: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    salary_hint: str | None = None
    rewrite: str = ""


class LLMParser:
    """``parse(text, kind, now)`` through the endpoint; raises LLMParseError on any failure."""

    def __init__(self, base_url: str, model: str, rules: QueryParser, api_key: str | None = None,
                 timeout_s: float = 3.0, client: httpx.Client | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.rules = rules
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(timeout=timeout_s)

    def parse(self, text: str, kind: EntityKind, now: datetime | None = None) -> ParsedQuery:
        query = clean(text)
        fields = self._ask(query, EntityKind(kind))
        return self._to_parsed(query, EntityKind(kind), fields, now or datetime.now(timezone.utc))

    def _ask(self, query: str, kind: EntityKind) -> LLMFields:
        vertical = "job" if kind is EntityKind.JOB else "people"
        body = {"model": self.model, "temperature": 0, "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": SYSTEM_PROMPT.format(vertical=vertical)},
                             {"role": "user", "content": query}]}
        try:
            response = self.client.post(self.url, json=body, headers=self.headers)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            return LLMFields.model_validate(json.loads(content))
        except httpx.HTTPError as e:
            raise LLMParseError(f"LLM endpoint {self.url} failed: {e}") from e
        except (KeyError, IndexError, TypeError, ValueError, ValidationError) as e:
            raise LLMParseError(f"LLM endpoint {self.url} answered something that is not the schema: {e}") from e

    def _to_parsed(self, query: str, kind: EntityKind, f: LLMFields, now: datetime) -> ParsedQuery:
        facets, city, country = self._place_facets(f)
        values = {"seniority": normalise_seniority(f.seniority), "remote": normalise_remote(f.remote),
                  "employment_type": normalise_employment_type(f.employment_type),
                  "company": company_key(f.company) or None}
        facets += [Facet(name=n, value=v, hard=n != "seniority") for n, v in values.items() if v]
        skills = self._skill_facets(f)
        occupation = self.rules.titles.best(f.role) if f.role else None
        if occupation:
            facets.append(Facet(name="occupation", value=occupation, hard=False))
        if f.posted_within_days:
            facets.append(Facet(name="recency", value=str(f.posted_within_days)))
        facets += [Facet(name="excluded", value=x.casefold(), negated=True, hard=False) for x in f.excluded]
        for facet in facets:
            facet.hard = facet.hard and _field_exists(kind, facet.name)
        parsed = ParsedQuery(
            kind=kind, original=query, rewrite=f.rewrite.strip() or query, occupation=occupation,
            occupation_candidates=[label for label, _ in self.rules.titles.normalise(f.role or "", k=5)],
            seniority=values["seniority"], city=city, country=country, remote=values["remote"],  # type: ignore[arg-type]
            posted_within_days=f.posted_within_days, employment_type=values["employment_type"],
            company=values["company"], skills=[s.value for s in skills],
            excluded=[x.casefold() for x in f.excluded], salary_hint=f.salary_hint, facets=facets + skills,
            posted_after_ts=int(now.timestamp()) - f.posted_within_days * DAY if f.posted_within_days else None,
            parser="llm",
        )
        parsed.ranker_hints = ranker_hints(parsed)
        return parsed

    def _place_facets(self, f: LLMFields) -> tuple[list[Facet], str | None, str | None]:
        gaz = self.rules.gazetteer
        place = gaz.resolve(f.city or "") or gaz.resolve(f.country or "")
        if place is None:
            return [], None, None
        facets = []
        if place.city_keys:
            facets.append(Facet(name="city", value=place.name, keys=list(place.city_keys)))
        country = place.country_codes[0] if len(place.country_codes) == 1 else place.name
        facets.append(Facet(name="country", value=country, keys=list(place.country_codes)))
        return facets, place.name if place.city_keys else None, country

    def _skill_facets(self, f: LLMFields) -> list[Facet]:
        seen: dict[str, Facet] = {}
        for name, hard in [(s, True) for s in f.must_have_skills] + [(s, False) for s in f.nice_to_have_skills]:
            key = self.rules.vocab.skill_key(name)
            if key and key not in seen:
                seen[key] = Facet(name="skill", value=key, hard=hard, span=name)
        return list(seen.values())


def _field_exists(kind: EntityKind, facet: str) -> bool:
    from semstream.models.qu.parser import FACET_FIELDS

    return FACET_FIELDS.get(facet) in FILTER_FIELDS[kind]
