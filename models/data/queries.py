"""Search queries for training and evaluation.

``generate_queries`` fills natural-language templates ("remote senior python backend engineer",
"data scientist jobs in Berlin", "react developers in London with 5+ years") from what the real
corpus holds: roles from titles (optionally swapped for an ESCO synonym), and the locations,
skills and companies that co-occur with each role, so most queries have good answers. Each query
carries its structured intent, so the judge need not re-parse it. ``seek_queries`` returns the real,
terse job-search queries of the seek backstories set (text only; 50 distinct non-empty ones).
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semstream.models.exceptions import ModelError
from semstream.models.judge.esco import EscoIndex
from semstream.models.judge.schema import JudgeQuery
from semstream.models.judge.text import FILLER, ROLE_HEADS, SENIORITY_WORDS, head_of, role_tokens, tokens
from semstream.schemas import EntityKind

SEEK_FILE = "job-search-backstories.csv"
_SENIORITY_TEXT = {"intern": "intern", "junior": "junior", "senior": "senior", "lead": "lead"}
_YEARS = {"junior": 1, "mid": 3, "senior": 5, "lead": 8}


@dataclass
class Pools:
    """What the corpus offers, sorted by frequency (then name) so sampling is reproducible."""

    roles: list[str]
    locations: list[str]
    skills: list[str]
    by_role: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # role -> {"skills"|"locations"|"companies": [...]}

    def near(self, rng: random.Random, role: str, what: str) -> str | None:
        """Something that co-occurs with the role (85%) or any from the corpus (15%)."""
        local = self.by_role.get(role, {}).get(what) or []
        pool = local if local and rng.random() < 0.85 else getattr(self, what, []) or local
        return rng.choice(pool) if pool else None


def clean_role(title: str) -> str | None:
    """A title as a searcher would type the role: lower-case, singular, no seniority or qualifiers.

    Bare generic heads ("engineer", "manager") are dropped: nobody can judge what they want.
    """
    head = re.split(r"[/,(|&:;–—]| - ", title)[0].lower()
    words = [w.rstrip(".") for w in re.findall(r"[a-z0-9+#.]+", head)]
    words = [w for w in words if w and not (set(tokens(w)) & (set(SENIORITY_WORDS) | FILLER))]
    if words and re.search(r"(er|ist|st|or|ant)s$", words[-1]):
        words[-1] = words[-1][:-1]
    core = role_tokens(" ".join(words))
    if not 1 <= len(words) <= 4 or head_of(core) is None or (len(words) == 1 and core[0] in ROLE_HEADS):
        return None
    return " ".join(words)


def build_pools(kind: EntityKind, payloads: Sequence[dict[str, Any]], min_count: int = 2) -> Pools:
    title_key, company_key = ("title", "company") if kind is EntityKind.JOB else ("current_title", "current_company")
    roles, locs, skills = Counter[str](), Counter[str](), Counter[str]()
    by_role: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for p in payloads:
        role = clean_role(str(p.get(title_key) or ""))
        loc = _city(p.get("location"))
        skill_list = [str(s) for s in p.get("skills") or []]
        locs.update([loc] if loc else [])
        skills.update(skill_list)
        if role:
            roles[role] += 1
            by_role[role]["skills"].update(skill_list)
            by_role[role]["locations"].update([loc] if loc else [])
            by_role[role]["companies"].update([str(p[company_key])] if p.get(company_key) else [])
    return Pools(
        roles=_frequent(roles, min_count), locations=_frequent(locs, min_count), skills=_frequent(skills, min_count),
        by_role={r: {k: _frequent(c, 1) for k, c in d.items()} for r, d in by_role.items()},
    )


def _frequent(counter: Counter[str], min_count: int) -> list[str]:
    return [k for k, c in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]


def _city(location: Any) -> str | None:
    if not location:
        return None
    first = str(location).split(",")[0].strip()
    if re.search(r"remote|hybrid|onsite|on-site|\d|\(", first, re.I) or not 1 <= len(first.split()) <= 3:
        return None
    return first


# --- templates: each returns (text, intent fields) or None when the pools cannot fill it -------
Made = tuple[str, dict[str, Any]] | None
Template = Callable[[random.Random, Pools, str], Made]


def _t_role(rng: random.Random, pools: Pools, role: str) -> Made:
    return role, {"role": role}


def _t_seniority(rng: random.Random, pools: Pools, role: str) -> Made:
    level = rng.choice(["junior", "senior", "senior", "lead", "intern"])
    return f"{_SENIORITY_TEXT[level]} {role}", {"role": role, "seniority": level}


def _t_remote(rng: random.Random, pools: Pools, role: str) -> Made:
    text = f"remote {role}" if rng.random() < 0.6 else f"{role} remote"
    return text, {"role": role, "remote": "remote"}


def _t_in_place(rng: random.Random, pools: Pools, role: str) -> Made:
    loc = pools.near(rng, role, "locations")
    return (f"{role} jobs in {loc}", {"role": role, "location": loc}) if loc else None


def _t_skill_role(rng: random.Random, pools: Pools, role: str) -> Made:
    skill = pools.near(rng, role, "skills")
    if not skill:
        return None
    level = rng.choice([None, "senior", "junior"])
    remote = "remote" if rng.random() < 0.4 else None
    text = " ".join(w for w in (remote, level, skill.lower(), role) if w)
    return text, {"role": role, "skills": [skill], "seniority": level, "remote": remote}


def _t_years(rng: random.Random, pools: Pools, role: str) -> Made:
    level = rng.choice(["junior", "mid", "senior", "lead"])
    return f"{role} with {_YEARS[level]}+ years", {"role": role, "seniority": level}


def _t_hybrid(rng: random.Random, pools: Pools, role: str) -> Made:
    loc = pools.near(rng, role, "locations")
    return (f"hybrid {role} in {loc}", {"role": role, "remote": "hybrid", "location": loc}) if loc else None


def _t_recent(rng: random.Random, pools: Pools, role: str) -> Made:
    days = rng.choice([3, 7, 14, 30])
    return f"{role} posted in the last {days} days", {"role": role, "recency_days": days}


def _t_company(rng: random.Random, pools: Pools, role: str) -> Made:
    company = pools.near(rng, role, "companies") if rng.random() < 0.9 else None
    return (f"{role} at {company}", {"role": role, "company": company}) if company else None


def _t_skill_jobs(rng: random.Random, pools: Pools, role: str) -> Made:
    skill = pools.near(rng, role, "skills")
    loc = pools.near(rng, role, "locations") if rng.random() < 0.5 else None
    text = f"{skill.lower()} jobs" + (f" in {loc}" if loc else "") if skill else ""
    return (text, {"skills": [skill], "location": loc}) if skill else None


def _plural(role: str) -> str:
    return role if role.endswith("s") else role + "s"


def _p_in_place(rng: random.Random, pools: Pools, role: str) -> Made:
    loc = pools.near(rng, role, "locations")
    return (f"{_plural(role)} in {loc}", {"role": role, "location": loc}) if loc else None


def _p_skill_years(rng: random.Random, pools: Pools, role: str) -> Made:
    skill = pools.near(rng, role, "skills")
    level = rng.choice(["mid", "senior", "lead"])
    loc = pools.near(rng, role, "locations") if rng.random() < 0.5 else None
    if not skill:
        return None
    text = f"{skill.lower()} {_plural(role)}" + (f" in {loc}" if loc else "") + f" with {_YEARS[level]}+ years"
    return text, {"role": role, "skills": [skill], "seniority": level, "location": loc}


def _p_knows(rng: random.Random, pools: Pools, role: str) -> Made:
    skills = (pools.by_role.get(role, {}).get("skills") or pools.skills)[:8]
    if len(skills) < 2:
        return None
    a, b = rng.sample(skills, 2)
    return f"{_plural(role)} who know {a.lower()} and {b.lower()}", {"role": role, "skills": [a, b]}


JOB_TEMPLATES: tuple[Template, ...] = (_t_role, _t_seniority, _t_remote, _t_in_place, _t_skill_role,
                                       _t_skill_role, _t_years, _t_hybrid, _t_recent, _t_company, _t_skill_jobs)
PEOPLE_TEMPLATES: tuple[Template, ...] = (_t_role, _t_seniority, _p_in_place, _p_skill_years, _p_knows, _t_company)


HELD_OUT_SHARE = 0.25  # of query texts, reserved for evaluation


def held_out(text: str) -> bool:
    """Whether a query text is on the evaluation side of the fixed train/eval split of query texts
    (by a hash of the lower-cased text): evaluation sets draw only such queries, training never."""
    digest = hashlib.blake2b(" ".join(text.lower().split()).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64 < HELD_OUT_SHARE


def for_training(text: str) -> bool:
    return not held_out(text)


def generate_queries(
    kind: EntityKind,
    corpus_payloads: Sequence[dict[str, Any]],
    n: int,
    seed: int,
    esco: EscoIndex | None = None,
    synonym_rate: float = 0.15,
    keep: Callable[[str], bool] | None = None,
) -> list[JudgeQuery]:
    """``n`` distinct template queries over the corpus (fewer if the corpus is too small); with ``keep``,
    only texts it accepts (``held_out`` for an evaluation set, ``for_training`` for training)."""
    pools = build_pools(kind, corpus_payloads)
    if not pools.roles:
        raise ModelError(f"no usable titles in {len(corpus_payloads)} {kind.value} payloads to build queries from")
    rng = random.Random(seed)
    templates = JOB_TEMPLATES if kind is EntityKind.JOB else PEOPLE_TEMPLATES
    weights = [1.0 / (i + 1) ** 0.5 for i in range(len(pools.roles))]  # favour common roles, keep the tail
    seen: set[str] = set()
    out: list[JudgeQuery] = []
    for _ in range(n * (20 if keep is None else 80)):
        if len(out) >= n:
            break
        role = rng.choices(pools.roles, weights)[0]
        made = rng.choice(templates)(rng, pools, role)
        if made is None or made[0] in seen:
            continue
        text, intent = made
        if esco is not None and intent.get("role") and rng.random() < synonym_rate:
            text, intent = _swap_synonym(rng, esco, text, intent)
        if text in seen or (keep is not None and not keep(text)):
            continue
        seen.add(text)
        out.append(JudgeQuery(text=text, **{k: v for k, v in intent.items() if v}))
    return out


def _swap_synonym(rng: random.Random, esco: EscoIndex, text: str, intent: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Replace the role by a short ESCO synonym, so queries test synonym understanding."""
    role = intent["role"]
    labels = [lab for lab in esco.synonyms(role) if lab.lower() != role and len(lab.split()) <= 3]
    if not labels:
        return text, intent
    new = rng.choice(sorted(labels)).lower()
    return text.replace(role, new, 1), {**intent, "role": new}


def seek_queries(directory: Path | str) -> list[JudgeQuery]:
    """The distinct real queries of the seek job-search backstories, in file order."""
    path = Path(directory) / SEEK_FILE
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            texts = [row["query"].strip() for row in csv.DictReader(f)]
    except (OSError, KeyError) as e:
        raise ModelError(f"cannot read seek queries from {path}: {e!r}") from e
    return [JudgeQuery(text=t) for t in dict.fromkeys(t for t in texts if t)]
