"""Query text handling: cleaning, tokens with character spans, and the regex facets
(recency, salary, years of experience, open to work) found before phrase matching."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from semstream.models.qu.vocab import NUMBER_WORDS, UNIT_DAYS

MAX_QUERY_CHARS = 512  # longer input is cut at the last space before this many characters
MAX_TOKENS = 64  # tokens past this are kept in ``original`` but not parsed

_TOKEN = re.compile(r"[$€£]?\.?[^\W_](?:[\w+#.'’]*[\w+#])?(?:\+\+|#)?", re.UNICODE)
_NUM = r"(\d+|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")"
_RECENCY = [
    (re.compile(r"\b(?:posted\s+)?(?:in\s+the\s+)?(?:last|past)\s+" + _NUM + r"\s+(hour|day|week|month|year)s?\b", re.I), None),
    (re.compile(r"\b(?:posted\s+)?(?:today|in\s+the\s+last\s+24\s*h(?:ours|rs)?|(?:last|past)\s+24\s*h(?:ours|rs)?)\b", re.I), 1),
    (re.compile(r"\b(?:posted\s+)?yesterday\b", re.I), 2),
    (re.compile(r"\b(?:posted\s+)?(?:this|past|last)\s+week\b", re.I), 7),
    (re.compile(r"\b(?:posted\s+)?(?:this|past|last)\s+month\b", re.I), 30),
    (re.compile(r"\b(?:recent(?:ly posted)?|latest|newest|fresh|just\s+posted|new(?=\s+(?:jobs?|postings?|openings?|roles?|positions?|vacancies)\b))\b", re.I), 14),
]
_SALARY = re.compile(
    r"(?:(?:over|above|min(?:imum)?|at\s+least|from|up\s+to|paying|salary(?:\s+of)?)\s+)?"
    r"(?:[$€£]\s?\d[\d,.]*\s?[kKmM]?(?:\s?(?:-|to|–)\s?[$€£]?\s?\d[\d,.]*\s?[kKmM]?)?\+?"
    r"|\b\d{2,3}\s?[kK](?:\s?(?:-|to|–)\s?\d{2,3}\s?[kK])?\+?(?=\W|$)"
    r"|\b(?:six|6|seven|7)[\s-]figures?\b)"
    r"(?:\s*(?:per|a|/)\s*(?:year|yr|annum|hour|hr|month))?",
    re.I,
)
_YEARS = re.compile(r"\b(\d{1,2})\s*\+?\s*(?:years?|yrs?|yoe)\b(?:\s+(?:of\s+)?(?:experience|exp))?", re.I)
_OPEN_TO_WORK = re.compile(r"\b(?:open\s+to\s+work|actively\s+looking|available\s+now|open\s+to\s+opportunities|#opentowork)\b", re.I)


@dataclass
class Token:
    text: str
    low: str
    start: int
    end: int
    used: str | None = None  # the facet name that consumed it
    negated: bool = False
    hard: bool = False
    fixed: str | None = None  # the vocabulary word a typo was corrected to

    @property
    def best(self) -> str:
        return self.fixed or self.text


@dataclass
class Prepass:
    days: int | None = None
    salary: str | None = None
    years: int | None = None
    open_to_work: bool = False
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def clean(text: object) -> str:
    """Control and format characters become spaces; cut to ``MAX_QUERY_CHARS`` at a space."""
    s = text if isinstance(text, str) else str(text or "")
    s = s[: MAX_QUERY_CHARS * 4]
    s = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in s)
    if len(s) > MAX_QUERY_CHARS:
        cut = s.rfind(" ", 0, MAX_QUERY_CHARS)
        s = s[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
    return " ".join(s.split())


def tokenize(text: str) -> list[Token]:
    """Word tokens; hyphens and slashes separate words, ``c++``/``c#``/``.net``/``node.js`` stay whole."""
    tokens = []
    for m in _TOKEN.finditer(text):
        word = m.group().rstrip(".'’")
        if word:
            tokens.append(Token(word, word.casefold(), m.start(), m.start() + len(word)))
        if len(tokens) >= MAX_TOKENS:
            break
    return tokens


def prepass(text: str) -> Prepass:
    """Regex facets and the character spans they cover."""
    out = Prepass()
    for pattern, days in _RECENCY:
        m = pattern.search(text)
        if m and out.days is None:
            out.days = days if days is not None else _span_days(m.group(1), m.group(2))
            out.spans.append((m.start(), m.end(), "recency"))
    for m in _SALARY.finditer(text):
        if _is_salary(m.group()):
            out.salary = " ".join(m.group().lower().split())
            out.spans.append((m.start(), m.end(), "salary"))
            break
    m = _YEARS.search(text)
    if m and not _inside(out.spans, m.start()):
        out.years = int(m.group(1))
        out.spans.append((m.start(), m.end(), "years_experience"))
    m = _OPEN_TO_WORK.search(text)
    if m:
        out.open_to_work = True
        out.spans.append((m.start(), m.end(), "open_to_work"))
    return out


def _span_days(number: str, unit: str) -> int:
    n = int(number) if number.isdigit() else NUMBER_WORDS.get(number.lower(), 1)
    return max(1, min(3650, round(n * UNIT_DAYS[unit.lower()])))


def _is_salary(match: str) -> bool:
    return any(ch in match for ch in "$€£kKmM") or "figure" in match.lower()


def _inside(spans: list[tuple[int, int, str]], pos: int) -> bool:
    return any(a <= pos < b for a, b, _ in spans)


def mark_spans(tokens: list[Token], spans: list[tuple[int, int, str]]) -> None:
    for tok in tokens:
        for a, b, name in spans:
            if tok.start < b and tok.end > a:
                tok.used = name
                tok.hard = True


def gap(text: str, left: Token, right: Token) -> str:
    """The characters between two tokens (punctuation there ends a list or a negation scope)."""
    return text[left.end:right.start]
