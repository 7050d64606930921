"""Extractive item summaries, computed once at ingest so the ranker reads ≈3× fewer tokens.

A summary keeps the structured head (title, company, place, remote policy, seniority), the
skills, and the description sentences that say most about the role, in their original order,
within a word budget. Sentences about benefits, equal-opportunity boilerplate and bare links
are dropped first. Deterministic and cheap (well under a millisecond per posting).
"""

from __future__ import annotations

import re
from typing import Any

from semstream.schemas import EntityKind

SUMMARY_KEY = "summary_text"
DEFAULT_BUDGET_WORDS = 60

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_ROLE_CUES = re.compile(
    r"\b(you will|you'll|we're looking|we are looking|looking for|responsib|requirement|experience|"
    r"build|design|develop|lead|own|must|skills?|years?|stack|team|role|hiring)\w*", re.I)
_NOISE_CUES = re.compile(
    r"\b(benefit|pto|holiday|insurance|dental|vision|401k|equal opportunity|e-verify|apply|"
    r"salary:|stipend|perks?|visa sponsorship)\w*", re.I)
_JOB_HEAD = ("title", "company", "location", "remote", "seniority", "employment_type")
_PROFILE_HEAD = ("headline", "current_title", "current_company", "location", "seniority")


def summarise(kind: EntityKind, payload: dict[str, Any], budget_words: int = DEFAULT_BUDGET_WORDS) -> str:
    """Head fields, up to eight skills, then the best description sentences within the budget."""
    head_keys = _JOB_HEAD if kind is EntityKind.JOB else _PROFILE_HEAD
    head = " | ".join(str(payload[k]) for k in head_keys if payload.get(k) not in (None, "", []))
    skills = [str(s) for s in (payload.get("skills") or [])][:8]
    parts = [head] + ([f"Skills: {', '.join(skills)}"] if skills else [])
    body = payload.get("description" if kind is EntityKind.JOB else "summary") or ""
    remaining = budget_words - sum(len(p.split()) for p in parts)
    chosen = best_sentences(body, skills, remaining)
    return "\n".join(p for p in parts + ([" ".join(chosen)] if chosen else []) if p)


def best_sentences(text: str, skills: list[str], budget_words: int) -> list[str]:
    """The highest-scoring sentences that fit ``budget_words``, in their original order."""
    if budget_words <= 0:
        return []
    sentences = [s for s in (_clean(s) for s in _SENTENCE_SPLIT.split(text)) if len(s.split()) >= 4]
    ranked = sorted(range(len(sentences)), key=lambda i: -_score(sentences[i], i, skills))
    picked, used = [], 0
    for i in ranked:
        words = len(sentences[i].split())
        if _score(sentences[i], i, skills) <= 0 or used + words > budget_words:
            continue
        picked.append(i)
        used += words
    return [sentences[i] for i in sorted(picked)]


def _clean(sentence: str) -> str:
    return " ".join(_URL.sub("", sentence).split())


def _score(sentence: str, position: int, skills: list[str]) -> float:
    lowered = sentence.lower()
    skill_hits = sum(1 for s in skills if s.lower() in lowered)
    return (len(_ROLE_CUES.findall(sentence)) + 2 * skill_hits + 1.0 / (1 + position)
            - 3 * len(_NOISE_CUES.findall(sentence)))
