"""Job events from the public data sets (HN "Who is hiring?", Indeed India) and the bundled demo sample.

Every event is an ``upsert`` at ``version=1`` with an id prefixed by its source (``hn-46466124``,
``indeed-7d2cd5fe12913cc0``) and ``source`` set to ``hn`` or ``indeed``. Besides the JobEvent
fields, events carry two extra payload fields: ``url`` (the original posting) and ``city``
(canonical name from :mod:`semstream.topics.places`, when known).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from semstream.config import Settings
from semstream.schemas import EntityEvent, JobEvent, Op, RemotePolicy
from semstream.shared_data import HN_JOBS, INDEED_JOBS
from semstream.topics.exceptions import DataError
from semstream.topics.hn import parse_header
from semstream.topics.jobtext import detect_employment, detect_seniority, find_skills
from semstream.topics.places import find_place

E = TypeVar("E", bound=EntityEvent)

_HN_REMOTE: dict[str, RemotePolicy] = {"fully_remote": "remote", "hybrid": "hybrid", "onsite_only": "onsite"}
_HN_SENIORITY = {"Senior": "senior", "Mid": "mid", "Junior": "junior"}
_JOB_TYPES = re.compile(r"Job Types?[ \t]*:[ \t]*([^\n]*)", re.I)
_DAYS_AGO = re.compile(r"(\d+)\+?\s+days? ago")
_INDEED_REMOTE = re.compile(r"work location\s*[:\-]?\s*(remote|hybrid)|^.{0,200}work from home", re.I | re.S)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSON-lines file; a missing file or bad line raises :class:`DataError` naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    yield _parse_line(path, number, line)
    except OSError as e:
        raise DataError(f"cannot read {path}: {e}") from e


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataError(f"{path}:{number}: malformed JSON: {e.msg}") from e
    if not isinstance(record, dict):
        raise DataError(f"{path}:{number}: expected a JSON object")
    return record


# --- Hacker News -----------------------------------------------------------------------
def hn_job_event(record: dict[str, Any]) -> JobEvent:
    """One HN post: structured facets from ``llm_facets`` where present, else from the header line."""
    text = record.get("text") or ""
    facets = record.get("llm_facets") or {}
    header = parse_header(text)
    role = facets.get("role")
    title = header.role or (role if role and role != "Other" else None)
    posted = datetime.fromisoformat(record["posted_at"]) if record.get("posted_at") else None
    return JobEvent(
        op=Op.UPSERT,
        id=f"hn-{record['id']}",
        version=1,
        updated_at=posted,
        title=title,
        company=header.company,
        location=header.location,
        country=header.country,
        remote=_HN_REMOTE.get(facets.get("remote") or "") or header.remote,
        employment_type=header.employment_type,
        seniority=_HN_SENIORITY.get(facets.get("experience_level") or "") or detect_seniority(title or ""),
        skills=list(facets.get("technologies") or []) or find_skills(text),
        salary=header.salary or facets.get("salary_band"),
        description=text,
        posted_at=posted,
        source="hn",
        url=f"https://news.ycombinator.com/item?id={record['id']}",
        city=header.city,
    )


def hn_job_events(path: Path, limit: int | None = None) -> Iterator[JobEvent]:
    """Job events from ``hn_jobs.jsonl`` (or the demo sample, same format)."""
    return itertools.islice((hn_job_event(r) for r in read_jsonl(path)), limit)


# --- Indeed India ----------------------------------------------------------------------
def indeed_job_event(record: dict[str, Any]) -> JobEvent:
    """One Indeed posting; remote, employment type, seniority and skills are read from the text."""
    title = (record.get("title") or "").strip() or None
    description = record.get("description") or ""
    location = (record.get("location") or "").strip()
    job_types = m.group(1) if (m := _JOB_TYPES.search(description)) else ""
    posted = _indeed_posted_at(record)
    return JobEvent(
        op=Op.UPSERT,
        id=f"indeed-{record['id']}",
        version=1,
        updated_at=posted,
        title=title,
        company=(record.get("company") or "").strip() or None,
        location=None if location.lower() == "remote" else location or None,
        country="India",
        remote=_indeed_remote(location, description),
        employment_type=detect_employment(job_types) or detect_employment(title or ""),
        seniority=detect_seniority(title or "") or ("junior" if "fresher" in job_types.lower() else None),
        skills=find_skills(f"{title or ''}\n{description}"),
        salary=(record.get("salary") or "").strip() or None,
        description=description,
        posted_at=posted,
        source="indeed",
        url=record.get("url") or None,
        city=_indeed_city(location),
    )


def _indeed_remote(location: str, description: str) -> RemotePolicy:
    """Indeed marks remote work in the location; an explicit line in the text also counts; else on-site."""
    if "remote" in location.lower():
        return "remote"
    if m := _INDEED_REMOTE.search(description):
        return "hybrid" if (m.group(1) or "").lower() == "hybrid" else "remote"
    return "onsite"


def _indeed_city(location: str) -> str | None:
    """Gazetteer name when known, else the ``City`` of ``City, State``."""
    if (place := find_place(location)) and place.city:
        return place.city
    return location.split(",")[0].strip() if "," in location else None


def _indeed_posted_at(record: dict[str, Any]) -> datetime | None:
    """``scraped_at`` minus the relative age Indeed showed (``3 days ago``, ``30+ days ago``, ``Today``)."""
    if not record.get("scraped_at"):
        return None
    scraped = datetime.fromisoformat(record["scraped_at"].replace("Z", "+00:00"))
    m = _DAYS_AGO.search(record.get("posted_relative") or "")
    return scraped - timedelta(days=int(m.group(1))) if m else scraped


def indeed_job_events(path: Path, limit: int | None = None) -> Iterator[JobEvent]:
    """Job events from ``indeed_jobs.jsonl``."""
    return itertools.islice((indeed_job_event(r) for r in read_jsonl(path)), limit)


# --- demo data -------------------------------------------------------------------------
def sample_path() -> Path:
    """The bundled HN sample (~300 posts, MIT; see ``semstream/demo/PROVENANCE.md``)."""
    return Path(str(resources.files("semstream") / "demo" / "hn_sample.jsonl"))


def demo_job_events(settings: Settings, limit: int | None = None) -> Iterator[JobEvent]:
    """HN and Indeed postings interleaved when the shared data folder exists, else the bundled sample."""
    hn, indeed = settings.shared_data_dir / HN_JOBS, settings.shared_data_dir / INDEED_JOBS
    if hn.is_file() and indeed.is_file():
        events: Iterator[JobEvent] = _interleave(hn_job_events(hn), indeed_job_events(indeed))
    else:
        events = hn_job_events(sample_path())
    return itertools.islice(events, limit)


def _interleave(*iterators: Iterator[E]) -> Iterator[E]:
    sentinel = object()
    for batch in itertools.zip_longest(*iterators, fillvalue=sentinel):
        yield from (e for e in batch if e is not sentinel)  # type: ignore[misc]


def replicate(events: Iterable[E], n: int) -> Iterator[E]:
    """Exactly ``n`` events: the originals, then copies under new ids (``<id>-r2``, ``-r3`` ...)."""
    seen: list[E] = []
    for event in itertools.islice(events, n):
        seen.append(event)
        yield event
    if not seen:
        return
    for i in range(n - len(seen)):
        original = seen[i % len(seen)]
        yield original.model_copy(update={"id": f"{original.id}-r{i // len(seen) + 2}"})
