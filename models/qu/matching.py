"""Phrase matching over query tokens: one table from lower-case phrases to (facet, value) readings,
longest match first, with typo-tolerant lookup of single words (symmetric deletes, edit distance 1)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from semstream.models.qu.gazetteer import Gazetteer, Place
from semstream.models.qu.text import Token
from semstream.models.qu.vocab import AMBIGUOUS_SKILLS, STOPWORDS, FILLERS, Vocab

MAX_PHRASE_WORDS = 4
FUZZY_MIN_LEN = 5  # shorter words are never corrected


@dataclass(frozen=True)
class Reading:
    facet: str  # location, remote, employment_type, seniority, company, skill
    value: str  # canonical value (the skill/company key, seniority, ...)
    place: Place | None = None


class PhraseTable:
    """All phrases of the gazetteer and vocabulary, with their readings in priority order."""

    def __init__(self, gazetteer: Gazetteer, vocab: Vocab, known_words: set[str] | None = None) -> None:
        self.gazetteer = gazetteer
        self.known_words = known_words or set()  # real words (e.g. from job titles) are never "corrected"
        table: dict[str, list[Reading]] = defaultdict(list)
        for phrase, place in gazetteer.phrases.items():
            table[phrase].append(Reading("location", place.name, place))
        for name, sub in (("remote", vocab.remote), ("employment_type", vocab.employment), ("seniority", vocab.seniority)):
            for phrase, value in sub.items():
                table[phrase].append(Reading(name, value))
        for phrase, value in vocab.companies.items():
            table[phrase].append(Reading("company", value))
        for phrase, value in vocab.skills.items():
            table[phrase].append(Reading("skill", value))
        self.table = dict(table)
        self.max_words = min(MAX_PHRASE_WORDS, max(len(p.split()) for p in self.table))
        self.prefixes = {" ".join(p.split()[:n]) for p in self.table for n in range(2, len(p.split()) + 1)}
        self._deletes = _delete_index(p for p in self.table if " " not in p and len(p) >= FUZZY_MIN_LEN)

    def match_at(self, tokens: list[Token], i: int) -> tuple[int, list[Reading]]:
        """The longest phrase starting at token ``i`` over unused tokens: (word count, readings)."""
        for n in range(min(self.max_words, len(tokens) - i), 0, -1):
            window = tokens[i:i + n]
            if any(t.used for t in window):
                continue
            readings = self.table.get(" ".join(t.low for t in window))
            if readings:
                return n, readings
        if tokens[i].low == "us" and i > 0 and tokens[i - 1].low in {"the", "in", "across", "within", "remote"}:
            return 1, [Reading("location", "US", self.gazetteer.codes["US"])]
        code = self.gazetteer.lookup_code(tokens[i].text)
        if code is not None and not tokens[i].used:
            return 1, [Reading("location", code.name, code)]
        return 0, []

    def fuzzy(self, word: str) -> tuple[str, list[Reading]]:
        """The one vocabulary word within one edit of ``word`` and its readings (none if ambiguous)."""
        if len(word) < FUZZY_MIN_LEN or word in STOPWORDS or word in FILLERS or word in self.known_words or not word.isalpha():
            return "", []
        found = {c for key in (word, *_deletes(word)) for c in self._deletes.get(key, ())}
        found.discard(word)
        if len(found) != 1:
            return "", []
        fixed = found.pop()
        return fixed, [r for r in self.table[fixed] if r.value not in AMBIGUOUS_SKILLS]


def _deletes(word: str) -> list[str]:
    return [word[:i] + word[i + 1:] for i in range(len(word))]


def _delete_index(words) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for word in words:
        index[word].add(word)
        for d in _deletes(word):
            index[d].add(word)
    return dict(index)
