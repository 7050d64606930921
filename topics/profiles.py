"""Synthetic member profiles for People Search (there is no public profile corpus with a clean licence).

Generator (``synthetic_profiles(n, seed)``), reproducible for a given seed and ESCO file:

1. **Occupation**: from ESCO v1.2 ``occupations_en.csv`` in ``esco_dir`` (default: the shared data
   folder's ``esco_v1.2``; sorted by concept URI so the order is
   stable): with probability 0.7 from the tech and business ISCO groups (25, 35, 2166, 21, 24, 12,
   13), else from any occupation. The title shown is the ESCO preferred label or, one time in
   four, one of its alternative labels; the preferred label is kept in the extra field
   ``esco_occupation``. Without the ESCO file, a built-in list of 40 tech and business
   occupations is used (so the same seed gives other profiles with and without ESCO).
2. **Experience**: years ~ a clipped exponential (mean 7, at most 35); seniority follows from
   years (junior < 3 <= mid < 6 <= senior < 12 <= lead), with ``manager``/``director`` titles kept.
3. **Skills**: 4–8 drawn from the skill family matched by title keywords or ISCO group
   (:mod:`semstream.topics.profile_vocab`).
4. **Name, place, company**: first and last names from built-in lists, a city from 25 cities
   (Berlin, London, New York, San Francisco, Bengaluru, ..., or ``Remote``), a fictional company.
5. **Text**: a headline ("Senior Data Engineer at Bluefin Analytics · Python, SQL") and a
   3–4 sentence summary from templates.

Every profile has ``source="synthetic"``, ``version=1`` and id ``synthetic-s<seed>-<i>``.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from semstream.config import get_settings
from semstream.schemas import Op, ProfileEvent
from semstream.shared_data import ESCO
from semstream.topics import profile_vocab as vocab
from semstream.topics.exceptions import DataError

ESCO_FILE = "occupations_en.csv"
FOCUS_PROBABILITY = 0.7
FOCUS_GROUPS = ("25", "35", "2166", "21", "24", "12", "13")
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Occupation:
    label: str
    alt_labels: tuple[str, ...]
    isco_group: str


def default_esco_dir() -> Path:
    """The ESCO release folder under the settings' shared data folder."""
    return get_settings().shared_data_dir / ESCO


def load_occupations(esco_dir: Path | None = None) -> list[Occupation]:
    """ESCO occupations sorted by URI (``esco_dir`` default: :func:`default_esco_dir`), or the
    built-in fallback list when that folder has no ``occupations_en.csv``."""
    path = (esco_dir or default_esco_dir()) / ESCO_FILE
    if not path.is_file():
        return [Occupation(label, (), group) for label, group in vocab.FALLBACK_OCCUPATIONS]
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: r["conceptUri"])
    except (OSError, KeyError, csv.Error) as e:
        raise DataError(f"cannot read ESCO occupations from {path}: {e}") from e
    return [
        Occupation(r["preferredLabel"].strip(), tuple(a.strip() for a in r["altLabels"].splitlines() if a.strip()), r["iscoGroup"])
        for r in rows
    ]


def synthetic_profiles(n: int, seed: int, esco_dir: Path | None = None) -> list[ProfileEvent]:
    """``n`` profiles, identical for the same ``seed`` and occupation list (see the module doc)."""
    rng = random.Random(seed)
    occupations = load_occupations(esco_dir)
    focus = [o for o in occupations if o.isco_group.startswith(FOCUS_GROUPS)] or occupations
    return [_profile(rng, i, seed, focus if rng.random() < FOCUS_PROBABILITY else occupations) for i in range(n)]


def _profile(rng: random.Random, i: int, seed: int, pool: list[Occupation]) -> ProfileEvent:
    occupation = rng.choice(pool)
    title = _display(rng.choice(occupation.alt_labels) if occupation.alt_labels and rng.random() < 0.25 else occupation.label)
    years = min(35, int(rng.expovariate(1 / 7)))
    seniority = _seniority(title, years)
    family = _family(occupation)
    skills = rng.sample(family, k=min(len(family), rng.randint(4, 8)))
    city, country = rng.choice(vocab.CITIES)
    company = rng.choice(vocab.COMPANIES)
    name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
    open_to_work = rng.random() < 0.35
    return ProfileEvent(
        op=Op.UPSERT,
        id=f"synthetic-s{seed}-{i:06d}",
        version=1,
        updated_at=_EPOCH + timedelta(minutes=rng.randint(0, 60 * 24 * 120)),
        name=name,
        headline=_headline(title, seniority, company, skills),
        current_title=title,
        current_company=company,
        location=city if country is None else f"{city}, {country}",
        country=country,
        seniority=seniority,
        years_experience=years,
        skills=skills,
        summary=_summary(rng, title, years, skills, city, open_to_work),
        open_to_work=open_to_work,
        source="synthetic",
        esco_occupation=occupation.label,
        city=None if country is None else city,
    )


def _display(label: str) -> str:
    """``data engineer`` -> ``Data Engineer``; words with capitals (``ICT``, ``DevOps``) stay as they are."""
    return " ".join(w.capitalize() if w.islower() else w for w in label.split())


def _seniority(title: str, years: int) -> str:
    lowered = title.lower()
    for word in ("director", "manager"):
        if word in lowered:
            return word
    return "junior" if years < 3 else "mid" if years < 6 else "senior" if years < 12 else "lead"


def _family(occupation: Occupation) -> tuple[str, ...]:
    lowered = occupation.label.lower()
    for keyword, family in vocab.FAMILY_KEYWORDS:
        if keyword.lower() in lowered:
            return vocab.SKILL_FAMILIES[family]
    for prefix, family in vocab.FAMILY_BY_ISCO:
        if occupation.isco_group.startswith(prefix):
            return vocab.SKILL_FAMILIES[family]
    return vocab.SKILL_FAMILIES["general"]


def _headline(title: str, seniority: str, company: str, skills: list[str]) -> str:
    prefix = {"junior": "Junior ", "senior": "Senior ", "lead": "Lead "}.get(seniority, "")
    return f"{prefix}{title} at {company} · {', '.join(skills[:3])}"


def _summary(rng: random.Random, title: str, years: int, skills: list[str], city: str, open_to_work: bool) -> str:
    experience = "at the start of my career" if years < 2 else f"with {years} years of experience"
    where = "working remotely" if city == "Remote" else f"based in {city}"
    sentences = [
        f"{title} {experience}, {where}.",
        f"Most of my work involves {', '.join(skills[:-1])} and {skills[-1]}.",
        rng.choice((
            "I enjoy turning messy problems into simple, reliable solutions.",
            "I care about clear communication and shipping work that lasts.",
            "I like mentoring colleagues and improving how teams work together.",
            "Recently I led a project that cut costs and sped up delivery.",
        )),
    ]
    if open_to_work:
        sentences.append("Open to new opportunities.")
    return " ".join(sentences)
