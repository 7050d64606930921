"""Real postings as job payloads (the ``JobEvent.fields()`` shape), read straight from JSONL.

* Hacker News "Who is hiring?" posts: the first line is usually ``Company | Role | Place | ...``;
  the segments give company, title, location and employment type, the third-party ``llm_facets``
  fill gaps (and are kept under ``llm_facets``). ``source = "hn"``.
* Indeed India postings: title, company, location as given; ``posted_at`` = scrape time minus the
  relative age; skills = vocabulary skills named in the title or description. ``source = "indeed"``.

Ids are prefixed by source (``hn-46466124``, ``indeed-7d2cd5fe12913cc0``) and the order is the
file order, so every run sees the same corpus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from semstream.models.exceptions import ModelError
from semstream.models.judge.facts import places_in
from semstream.models.judge.text import head_of, ngram_set, role_tokens, seniority_of, tokens
from semstream.models.judge.vocab import AMBIGUOUS_SKILLS, SKILLS
from semstream.shared_data import HN_JOBS, INDEED_JOBS


Item = tuple[str, dict[str, Any]]

_FACET_REMOTE = {"fully_remote": "remote", "hybrid": "hybrid", "onsite_only": "onsite"}
_EMPLOYMENT = re.compile(r"\b(full[\s-]?time|part[\s-]?time|contract|internship|freelance)\b", re.I)
_AGE = re.compile(r"(\d+)\+?\s+days?\s+ago", re.I)
_TEXT_SKILLS = [(s, " ".join(tokens(s))) for s in SKILLS if s.lower() not in AMBIGUOUS_SKILLS]


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"cannot read postings from {path}: {e}") from e


def skills_in(text: str, limit: int = 12) -> list[str]:
    """Vocabulary skills named in a text (unambiguous ones only), in vocabulary order."""
    grams = ngram_set(tokens(text), max_n=2)
    return [name for name, key in _TEXT_SKILLS if key in grams][:limit]


def load_hn(path: Path, limit: int | None = None) -> list[Item]:
    """HN postings as (id, job payload)."""
    out: list[Item] = []
    for row in _read_jsonl(path):
        out.append((f"hn-{row['id']}", hn_payload(row)))
        if limit and len(out) >= limit:
            break
    return out


def hn_payload(row: dict[str, Any]) -> dict[str, Any]:
    text = row.get("text") or ""
    facets = row.get("llm_facets") if isinstance(row.get("llm_facets"), dict) else {}
    segments = [s.strip() for s in text.split("\n", 1)[0].split("|")]
    segments = [s for s in segments if s] if len(segments) >= 2 else []
    title = next((s for s in segments[1:] if _is_role(s)), None)
    location = next((s for s in segments[1:] if len(s) <= 80 and (places_in(s) or re.search(r"\bremote\b", s, re.I))), None)
    employment = next((m.group(1) for s in segments if (m := _EMPLOYMENT.search(s))), None)
    payload: dict[str, Any] = {
        "title": title or (facets.get("role") if facets.get("role") not in (None, "Other") else None),
        "company": re.sub(r"\s*\(?https?://\S+\)?", "", segments[0]).strip() if segments else None,
        "location": location,
        "remote": _FACET_REMOTE.get(str(facets.get("remote"))),
        "employment_type": employment.lower().replace(" ", "-") if employment else None,
        "seniority": _hn_seniority(facets, title),
        "skills": list(facets.get("technologies") or []),
        "salary": facets.get("salary_band"),
        "description": text,
        "posted_at": row.get("posted_at"),
        "source": "hn",
        "llm_facets": facets or None,
    }
    return {k: v for k, v in payload.items() if v not in (None, "", [])}


def _is_role(segment: str) -> bool:
    return len(segment) <= 120 and "http" not in segment and head_of(role_tokens(segment)) is not None


def _hn_seniority(facets: dict[str, Any], title: str | None) -> str | None:
    level = str(facets.get("experience_level") or "").lower()
    if level in {"junior", "mid", "senior"}:
        return level
    return seniority_of(title) if title else None


def load_indeed(path: Path, limit: int | None = None) -> list[Item]:
    """Indeed postings as (id, job payload)."""
    out: list[Item] = []
    for row in _read_jsonl(path):
        out.append((f"indeed-{row['id']}", indeed_payload(row)))
        if limit and len(out) >= limit:
            break
    return out


def indeed_payload(row: dict[str, Any]) -> dict[str, Any]:
    title, description = row.get("title") or "", row.get("description") or ""
    location = (row.get("location") or "").strip()
    remote = "remote" if location.lower() == "remote" else None
    types = re.search(r"Job Types?:\s*([A-Za-z /-]+)", description)
    payload: dict[str, Any] = {
        "title": title,
        "company": row.get("company"),
        "location": None if remote else location,
        "country": "India",
        "remote": remote,
        "employment_type": types.group(1).split(",")[0].strip().lower() if types else None,
        "seniority": seniority_of(title),
        "skills": skills_in(f"{title}\n{description}"),
        "salary": row.get("salary"),
        "description": description.strip(),
        "posted_at": _indeed_posted_at(row),
        "source": "indeed",
    }
    return {k: v for k, v in payload.items() if v not in (None, "", [])}


def _indeed_posted_at(row: dict[str, Any]) -> str | None:
    try:
        scraped = datetime.fromisoformat(str(row.get("scraped_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
    m = _AGE.search(row.get("posted_relative") or "")
    return (scraped - timedelta(days=int(m.group(1)) if m else 0)).isoformat()


def load_job_corpus(shared_data_dir: Path, limit_per_source: int | None = None) -> list[Item]:
    """HN then Indeed postings from the public data folder."""
    root = Path(shared_data_dir)
    return load_hn(root / HN_JOBS, limit_per_source) + load_indeed(root / INDEED_JOBS, limit_per_source)


def load_profile_corpus(n: int, seed: int) -> list[Item]:
    """Synthetic profiles (labelled synthetic) from the project's generator, as (id, payload)."""
    try:
        from semstream.topics.profiles import synthetic_profiles
    except ImportError as e:
        raise ModelError("profile corpus needs semstream.topics.profiles.synthetic_profiles") from e
    return [_as_item(p, i) for i, p in enumerate(synthetic_profiles(n, seed))]


def _as_item(profile: Any, index: int) -> Item:
    if hasattr(profile, "fields"):
        return str(profile.id), profile.fields()
    data = dict(profile)
    return str(data.pop("id", f"profile-{index}")), data
