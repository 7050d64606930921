"""Phrase tables for query understanding, and the value normalisers ingest shares with queries.

Every table maps a lower-case phrase (hyphens written as spaces) to a canonical payload value, so a
query word and an ingested field land on the same key: ``normalise_seniority("Sr. Engineer")`` and
the query "sr engineer" both give ``senior``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from semstream.models.qu.exceptions import QUDataError
from semstream.models.qu.gazetteer import phrase_key

DATA_DIR = Path(__file__).with_name("data")

SENIORITY: dict[str, str] = {
    "intern": "intern", "interns": "intern", "trainee": "intern", "apprentice": "intern",
    "junior": "junior", "jr": "junior", "jnr": "junior", "entry level": "junior",
    "graduate": "junior", "grad": "junior", "new grad": "junior", "beginner": "junior",
    "mid": "mid", "mid level": "mid", "midlevel": "mid", "intermediate": "mid", "mid senior": "mid",
    "senior": "senior", "sr": "senior", "snr": "senior", "experienced": "senior",
    "lead": "lead", "tech lead": "lead", "team lead": "lead",
    "staff": "principal", "principal": "principal",
    "head of": "director", "director": "director", "vp": "director", "vice president": "director",
    "c level": "executive", "cxo": "executive",
}
# Seniority words that are also part of a job title: kept in the role text too.
SENIORITY_IN_TITLE = {"lead", "tech lead", "team lead", "principal", "director", "head of"}

EMPLOYMENT: dict[str, str] = {
    "full time": "full_time", "fulltime": "full_time", "permanent": "full_time",
    "part time": "part_time", "parttime": "part_time",
    "contract": "contract", "contractor": "contract", "contracts": "contract", "contracting": "contract",
    "fixed term": "contract",
    "freelance": "freelance", "freelancer": "freelance", "freelancers": "freelance",
    "internship": "internship", "internships": "internship", "intern": "internship", "interns": "internship",
    "temporary": "temporary", "temp": "temporary", "seasonal": "temporary", "casual": "temporary",
}

REMOTE: dict[str, str] = {
    "remote": "remote", "fully remote": "remote", "remote only": "remote", "remote first": "remote",
    "wfh": "remote", "work from home": "remote", "working from home": "remote", "home office": "remote",
    "distributed": "remote", "anywhere": "remote", "telecommute": "remote", "remotely": "remote",
    "hybrid": "hybrid", "partly remote": "hybrid", "partially remote": "hybrid", "flexible": "hybrid",
    "onsite": "onsite", "on site": "onsite", "in office": "onsite", "office based": "onsite",
    "in person": "onsite", "on premise": "onsite",
}

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3, "several": 5}
UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}

NEGATIONS = {"not", "no", "non", "without", "excluding", "except", "avoid", "never", "exclude", "minus", "nothing"}
SKILL_MARKERS = {"know", "knows", "knowing", "who know", "must know", "must have", "with", "experienced in",
                 "experienced with", "experience in", "experience with", "proficient in", "skilled in",
                 "expert in", "expertise in", "strong", "using", "skills", "required", "requires"}
FILLERS = {"job", "jobs", "role", "roles", "position", "positions", "opening", "openings", "vacancy",
           "vacancies", "opportunity", "opportunities", "posting", "postings", "posted", "hiring",
           "wanted", "career", "careers", "work", "gig", "gigs", "people", "candidates", "profiles",
           "someone", "anyone", "person", "find", "me", "show", "looking", "for", "search", "please"}
STOPWORDS = {"a", "an", "the", "in", "at", "on", "of", "for", "to", "and", "or", "with", "who", "that",
             "which", "based", "from", "near", "around", "i", "my", "is", "are", "be", "as", "by", "any",
             "all", "some", "this", "these", "those", "within", "across", "only", "but", "than", "over",
             "under", "into", "like", "via", "per", "it", "its", "we", "our", "you", "your", "can", "also",
             "&", "+", "just", "very", "good", "great", "best", "top", "new", "open", "want"}
ROLE_HEADS = {"engineer", "engineers", "developer", "developers", "dev", "devs", "programmer",
              "programmers", "scientist", "scientists", "architect", "architects", "analyst", "analysts",
              "designer", "designers", "administrator", "admin", "consultant", "consultants", "specialist",
              "specialists", "manager", "managers", "lead", "researcher", "researchers", "tester", "testers"}
VAGUE_ROLES = {"engineer", "developer", "dev", "manager", "designer", "analyst", "consultant",
               "specialist", "worker", "assistant", "staff", "job", "work", "employee", "expert",
               "professional", "officer", "technician", "operator", "associate", "freelancer",
               "contractor", "intern", "lead", "head", "director", "it", "tech", "remote", "person"}
ORG_GENERIC = {"startup", "startups", "start up", "start ups", "scaleup", "scaleups", "scale up",
               "scale ups", "company", "companies", "firm", "firms", "agency", "agencies", "corporate",
               "corporates", "enterprise", "enterprises", "big tech", "faang", "maang", "bank", "banks",
               "fintech", "fintechs", "unicorn", "unicorns", "nonprofit", "non profit", "ngo", "ngos",
               "government", "university", "universities", "hospital", "hospitals", "consultancy",
               "consultancies", "sme", "smes", "small company", "large company", "a startup"}
# Skill aliases that are ordinary words too: taken only with an explicit cue (see parser).
AMBIGUOUS_SKILLS = {"c", "r", "go", "rest", "ray", "node", "shell", "sketch", "spring", "chef", "puppet",
                    "unity", "express", "swift", "rails", "tf", "ts", "cv", "soc", "sem", "rsa", "cad",
                    "lambda", "hive", "jest", "dl", "rl", "ros", "elastic", "sap", "ios", "crm", "social media",
                    "py", "flexible", "first aid", "rio", "excel", "statistics", "networking", "embedded",
                    "agile", "android", "cisco", "unix", "gis", "helm"}
LEGAL_SUFFIXES = {"inc", "inc.", "ltd", "ltd.", "llc", "gmbh", "ag", "se", "plc", "corp", "corp.",
                  "corporation", "co", "co.", "company", "limited", "bv", "b.v.", "sa", "s.a.", "pvt",
                  "private", "oy", "ab", "as", "srl", "spa"}

_SPACES = re.compile(r"\s+")


def normalise_key(text: str | None) -> str:
    """Lower-case, trimmed, whitespace-collapsed: the payload form of ``company_key``/``skills_key``."""
    return _SPACES.sub(" ", (text or "").casefold()).strip()


def company_key(name: str | None) -> str:
    """``normalise_key`` without trailing legal forms: "Acme GmbH" and "acme" give ``acme``."""
    words = normalise_key(name).replace(",", " ").split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def _scan(table: dict[str, str], text: str | None) -> str | None:
    """The value of the longest table phrase found in ``text`` (word-bounded), or None."""
    words = phrase_key(re.sub(r"[^\w\s-]", " ", text or "")).split()
    for n in range(min(3, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            value = table.get(" ".join(words[i:i + n]))
            if value is not None:
                return value
    return None


def normalise_seniority(text: str | None) -> str | None:
    """Canonical seniority (intern, junior, mid, senior, lead, principal, director, executive)."""
    return _scan(SENIORITY, text)


def normalise_employment_type(text: str | None) -> str | None:
    """Canonical employment type (full_time, part_time, contract, freelance, internship, temporary)."""
    return _scan(EMPLOYMENT, text)


def normalise_remote(text: str | None) -> str | None:
    """Canonical remote policy (remote, hybrid, onsite) found in ``text``; hybrid wins over remote."""
    words = phrase_key(text or "")
    if "hybrid" in words:
        return "hybrid"
    return _scan(REMOTE, text)


@dataclass(frozen=True)
class Vocab:
    """Skill and company tables loaded from ``data/``, plus the fixed phrase tables above."""

    skills: dict[str, str]
    companies: dict[str, str]
    seniority: dict[str, str] = field(default_factory=lambda: dict(SENIORITY))
    employment: dict[str, str] = field(default_factory=lambda: dict(EMPLOYMENT))
    remote: dict[str, str] = field(default_factory=lambda: dict(REMOTE))

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Vocab:
        data_dir = data_dir or DATA_DIR
        return cls(skills=_alias_table(data_dir / "skills.txt"), companies=_alias_table(data_dir / "companies.txt"))

    def skill_key(self, text: str) -> str:
        """Canonical skill key: a known alias maps to its canonical name, anything else is normalised."""
        key = phrase_key(text) if text else ""
        return self.skills.get(key) or self.skills.get(normalise_key(text)) or normalise_key(text)


def _alias_table(path: Path) -> dict[str, str]:
    """``canonical|alias|alias`` lines -> {alias: canonical}; ``#`` starts a comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise QUDataError(f"cannot read vocabulary file {path}: {e}") from e
    table: dict[str, str] = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        names = [n.strip() for n in line.split("|") if n.strip()]
        for name in names:
            table.setdefault(phrase_key(name), names[0])
            table.setdefault(normalise_key(name), names[0])
    return table


@lru_cache(maxsize=1)
def default_vocab() -> Vocab:
    return Vocab.load()


def normalise_skill(text: str | None) -> str:
    """Payload ``skills_key`` value for one skill ("K8s" -> "kubernetes", "Node.JS" -> "node.js")."""
    return default_vocab().skill_key(text or "")
