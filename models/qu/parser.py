"""Rule-based query parser for Job Search and People Search, with a learned tagger where rules end.

Hard vs soft (a hard facet becomes a store filter, a soft one a ranker hint):

* hard: location (city/region/country), remote policy, recency, employment type, a company named by
  a known name or after "at"/"@", skills introduced by an explicit cue ("who know", "must have",
  "with", "proficient in", ...), years of experience and open-to-work (people), and every negated
  value that maps to a payload field ("no onsite", "not in London", "no Java").
* soft: occupation, seniority, skills without a cue, salary, company types ("fintech startups"),
  places only the learned tagger found, and negated words with no field ("not crypto").
* a hard facet whose payload field does not exist for the entity kind is demoted to soft.

The input is cut to ``MAX_QUERY_CHARS`` characters and ``MAX_TOKENS`` tokens; any string parses.
"""

from __future__ import annotations

from datetime import datetime, timezone

from semstream.models.qu.gazetteer import Gazetteer
from semstream.models.qu.learned import Tagger
from semstream.models.qu.matching import PhraseTable, Reading
from semstream.models.qu.schema import Facet, ParsedQuery
from semstream.models.qu.text import Token, clean, gap, mark_spans, prepass, tokenize
from semstream.models.qu.titles import TitleNormaliser, stem
from semstream.models.qu.vocab import (
    AMBIGUOUS_SKILLS, FILLERS, NEGATIONS, ORG_GENERIC, ROLE_HEADS, SENIORITY_IN_TITLE, SKILL_MARKERS,
    STOPWORDS, VAGUE_ROLES, Vocab, company_key,
)
from semstream.schemas import EntityKind

OCCUPATION_MIN_SCORE = 0.5  # a role text scoring below this sets no occupation (candidates still listed)
CANDIDATE_MIN_SCORE = 0.3
TITLE_NOT_SKILL = 0.8  # a "skill" the tagger found that is this close to a job title is a role word
ABBREVIATIONS = {"dev": "developer", "devs": "developers", "eng": "engineer", "engs": "engineers",
                 "mgr": "manager", "admin": "administrator", "sr": "senior", "jr": "junior", "ml": "machine learning",
                 "swe": "software engineer", "pm": "product manager", "qa": "quality assurance"}
FACET_FIELDS = {"city": "city", "country": "country", "remote": "remote", "seniority": "seniority",
                "employment_type": "employment_type", "company": "company_key", "skill": "skills_key",
                "occupation": "occupation", "recency": "posted_ts", "years_experience": "years_experience",
                "open_to_work": "open_to_work"}
_COMPANY_CUES = {"at", "@", "for", "from", "ex", "former", "formerly", "join", "joining"}
_CONJ = {"and", "or", "nor", "&", "+"}
_KNOWN_WORDS = {"experience", "experienced", "background", "remotely", "senior", "seniors", "sales", "chief"}
_NOT_ROLE = STOPWORDS | FILLERS | NEGATIONS | {w for m in SKILL_MARKERS for w in m.split()} | {
    "background", "experience", "skills", "skill", "expert", "experts", "candidates", "talent"}
_NOT_ENTITY = STOPWORDS | FILLERS | NEGATIONS | ROLE_HEADS | VAGUE_ROLES
_SCOPE_BREAK = STOPWORDS - _CONJ - {"a", "an", "the"} | FILLERS
_CONSUMED = {"location", "remote", "employment_type", "recency", "salary", "years_experience",
             "open_to_work", "company", "negation"}


class QueryParser:
    """``parse(text, kind)`` -> ParsedQuery; plain class, no I/O after construction."""

    def __init__(self, titles: TitleNormaliser, gazetteer: Gazetteer, vocab: Vocab, tagger: Tagger | None = None) -> None:
        self.titles = titles
        self.gazetteer = gazetteer
        self.vocab = vocab
        self.tagger = tagger
        known = {w for label in titles.labels for w in label.casefold().split() if w.isalpha()}
        self.phrases = PhraseTable(gazetteer, vocab, known | _KNOWN_WORDS)

    def parse(self, text: str, kind: EntityKind, now: datetime | None = None) -> ParsedQuery:
        kind = EntityKind(kind)
        query = clean(text)
        state = _State(query, kind, tokenize(query))
        state.phrase_prefixes = self.phrases.prefixes
        pre = prepass(query)
        mark_spans(state.tokens, pre.spans)
        self._negations(state)
        self._phrases(state)
        self._learned(state)
        occupation, candidates = self._occupation(state)
        return _assemble(state, pre, occupation, candidates, now or datetime.now(timezone.utc))

    # --- negation --------------------------------------------------------------------------
    def _negations(self, state: _State) -> None:
        toks = state.tokens
        for i, tok in enumerate(toks):
            if tok.used:
                continue
            dash = tok.start > 0 and state.text[tok.start - 1] == "-" and (tok.start == 1 or state.text[tok.start - 2] == " ")
            if tok.low in NEGATIONS and i + 1 < len(toks) and not _is_no_experience(toks, i):
                tok.used = "negation"
                self._negate_scope(state, i + 1)
            elif dash and not tok.used:
                self._negate_scope(state, i, single=True)

    def _negate_scope(self, state: _State, start: int, single: bool = False) -> None:
        toks, end = state.tokens, start
        while end < len(toks) and toks[end].low in {"in", "at", "from", "based", "a", "an", "the", "any"} and end - start < 2:
            toks[end].used = "negation"
            end += 1
        begin = end
        while end < len(toks) and not toks[end].used and (end == begin or _continues(state, end, begin)):
            end += 1
            if single:
                break
        for tok in toks[begin:end]:
            tok.negated = tok.low not in NEGATIONS

    # --- phrase matching -------------------------------------------------------------------
    def _phrases(self, state: _State) -> None:
        toks, i = state.tokens, 0
        while i < len(toks):
            n, readings = (0, []) if toks[i].used else self.phrases.match_at(toks, i)
            if not n and not toks[i].used and toks[i].low not in STOPWORDS:
                fixed, readings = self.phrases.fuzzy(toks[i].low)
                n = 1 if readings else 0
                toks[i].fixed = fixed or None
            reading = self._choose(state, i, n, readings) if n else None
            if reading is None:
                i += 1
                continue
            state.add(reading, toks[i:i + n])
            i += n
        self._skill_scopes(state)
        for tok in toks:
            if tok.negated and not tok.used and tok.low not in STOPWORDS | _CONJ | FILLERS:
                tok.used = "excluded"
                state.excluded_words.append(tok.text.casefold())

    def _choose(self, state: _State, i: int, n: int, readings: list[Reading]) -> Reading | None:
        """The first reading that fits its context (cues for ambiguous skills, companies, seniority)."""
        toks = state.tokens
        for r in readings:
            phrase = " ".join(t.low for t in toks[i:i + n])
            if r.facet == "skill" and phrase in AMBIGUOUS_SKILLS and not _skill_cue(state, i, n):
                continue
            if r.facet == "company" and any(x.facet == "skill" for x in readings) and not _prev_in(toks, i, _COMPANY_CUES):
                continue
            if r.facet == "seniority" and phrase in {"staff", "lead"} and not _role_follows(toks, i + n):
                continue
            if r.facet == "location" and phrase in {"la", "ny", "dc", "kl", "rio", "sf"} and toks[i].text.islower() and not _prev_in(toks, i, {"in", "near", "around"}):
                continue
            return r
        return None

    def _skill_scopes(self, state: _State) -> None:
        """Skills after an explicit cue ("who know X and Y", "must have X") are hard."""
        toks, scope = state.tokens, False
        for i, tok in enumerate(toks):
            if _marker_ends_at(toks, i):
                scope = True
            elif tok.used == "skill":
                tok.hard = tok.hard or scope
            elif tok.low in _CONJ or tok.low in {"experience", "skills", "skill"}:
                continue
            else:
                scope = False
        state.mark_hard_skills()

    # --- learned fallback ------------------------------------------------------------------
    def _learned(self, state: _State) -> None:
        if self.tagger is None or not state.tokens:
            return
        for label, start, end in self.tagger.spans([t.text for t in state.tokens]):
            span = state.tokens[start:end]
            while span and span[0].low in STOPWORDS:
                span = span[1:]
            while span and span[-1].low in STOPWORDS:
                span = span[:-1]
            if not span or any(t.used or t.negated for t in span) or any(stem(t.low) in _NOT_ENTITY or t.low in _NOT_ENTITY for t in span):
                continue
            if label == "SKILL" and self.titles.best(" ".join(t.text for t in span), TITLE_NOT_SKILL) is not None:
                label = "ROLE"
            state.add_learned(label, span)

    # --- occupation ------------------------------------------------------------------------
    def _occupation(self, state: _State) -> tuple[str | None, list[tuple[str, float]]]:
        """The best of three readings of the role words: all of them, the non-skill words alone, and
        "software <head>" when only skills and a head noun are left ("node.js developer")."""
        role = state.role_tokens()
        content = [t for t in role if stem(t.low) not in VAGUE_ROLES and t.used not in {"seniority", "skill"}]
        heads = [t for t in role if stem(t.low) in ROLE_HEADS]
        if not role or (not content and not any(t.used == "skill" for t in role)):
            return None, []
        texts = [" ".join(_role_word(t) for t in role)]
        if content and len(content) < len(role):
            texts.append(" ".join(_role_word(t) for t in role if t.used != "skill"))
        if heads and not content:
            texts.append("software " + _role_word(heads[-1]))
        found = max((self.titles.normalise(t, k=5) for t in texts), key=lambda c: c[0][1] if c else 0.0)
        found = [c for c in found if c[1] >= CANDIDATE_MIN_SCORE]
        best = found[0][0] if found and found[0][1] >= OCCUPATION_MIN_SCORE and (content or heads) else None
        return best, found


def _role_word(tok: Token) -> str:
    return tok.best if tok.used == "skill" else ABBREVIATIONS.get(tok.low, tok.best)


class _State:
    """Tokens and the facets found so far, for one parse."""

    def __init__(self, text: str, kind: EntityKind, tokens: list[Token]) -> None:
        self.text, self.kind, self.tokens = text, kind, tokens
        self.facets: list[Facet] = []
        self.excluded_words: list[str] = []
        self.place_name: str | None = None
        self.country_name: str | None = None
        self._skill_facets: list[tuple[Facet, list[Token]]] = []
        self.phrase_prefixes: set[str] | None = None

    def add(self, reading: Reading, span: list[Token]) -> None:
        negated = any(t.negated for t in span)
        for tok in span:
            tok.used = reading.facet
            tok.hard = reading.facet in _CONSUMED or negated
        text = " ".join(t.text for t in span)
        if negated:
            self.excluded_words.append(text.casefold())
        if reading.facet == "location":
            self._add_place(reading, text, negated)
        elif reading.facet == "skill":
            facet = Facet(name="skill", value=reading.value, hard=negated, negated=negated, span=text)
            self.facets.append(facet)
            self._skill_facets.append((facet, span))
        elif reading.facet == "company":
            self.facets.append(Facet(name="company", value=company_key(reading.value), hard=True, negated=negated, span=text))
        else:
            self.facets.append(Facet(name=reading.facet, value=reading.value, hard=reading.facet != "seniority" or negated, negated=negated, span=text))
            if reading.value == "internship" and text.casefold() in {"intern", "interns"} and not negated:
                self.facets.append(Facet(name="seniority", value="intern", hard=False, span=text))

    def _add_place(self, reading: Reading, text: str, negated: bool) -> None:
        place = reading.place
        assert place is not None
        if place.city_keys:
            self.facets.append(Facet(name="city", value=place.name, keys=list(place.city_keys), negated=negated, span=text))
        if place.country_codes and not (negated and place.city_keys):
            name = place.country_codes[0] if len(place.country_codes) == 1 else place.name
            self.facets.append(Facet(name="country", value=name, keys=list(place.country_codes), negated=negated, span=text))
        if not negated and self.place_name is None:
            self.place_name = place.name if place.city_keys else None
            self.country_name = place.country_codes[0] if len(place.country_codes) == 1 else place.name

    def starts_phrase(self, begin: int, end: int) -> bool:
        """Whether tokens[begin:end] begin some known phrase (set by the parser)."""
        return self.phrase_prefixes is not None and " ".join(t.low for t in self.tokens[begin:end]) in self.phrase_prefixes

    def mark_hard_skills(self) -> None:
        for facet, span in self._skill_facets:
            facet.hard = facet.hard or any(t.hard for t in span)

    def add_learned(self, label: str, span: list[Token]) -> None:
        """Spans the tagger found in words the rules left: companies, skills, places (all soft but
        a company after "at"/"@"/"for", which is hard); ROLE spans stay free words for the title."""
        if label == "COMPANY" and not any(f.name == "company" for f in self.facets):
            self._add_learned_company(span)
        elif label == "SKILL" and not any(stem(t.low) in ROLE_HEADS | VAGUE_ROLES for t in span):
            self.facets.append(Facet(name="skill", value=company_key(" ".join(t.text for t in span)), hard=False, span=_text(span)))
            _use(span, "SKILL")
        elif label == "LOC":
            self.facets.append(Facet(name="location", value=_text(span), hard=False, span=_text(span)))
            _use(span, "LOC")

    def _add_learned_company(self, span: list[Token]) -> None:
        if any(t.low in ORG_GENERIC for t in span):
            span = self._extend_generic(span)
            self.facets.append(Facet(name="company_type", value=_text(span).casefold(), hard=False, span=_text(span)))
            _use(span, "COMPANY_TYPE")
            return
        cue = _prev_in(self.tokens, self.tokens.index(span[0]), _COMPANY_CUES)
        self.facets.append(Facet(name="company", value=company_key(_text(span)), hard=cue, span=_text(span)))
        _use(span, "COMPANY")

    def _extend_generic(self, span: list[Token]) -> list[Token]:
        """"fintech" tagged alone grows to "fintech startups"."""
        end = self.tokens.index(span[-1]) + 1
        while end < len(self.tokens) and self.tokens[end].low in ORG_GENERIC and not self.tokens[end].used:
            end += 1
        return self.tokens[self.tokens.index(span[0]):end]

    def role_tokens(self) -> list[Token]:
        """Tokens that describe the role: free words, soft skills and title-like seniority words."""
        role = []
        for tok in self.tokens:
            if tok.negated or tok.low in _NOT_ROLE or tok.low in ORG_GENERIC:
                continue
            if tok.used in (None, "skill") and not (tok.used == "skill" and tok.hard):
                role.append(tok)
            elif tok.used == "seniority" and tok.low in SENIORITY_IN_TITLE:
                role.append(tok)
        return role


def _text(span: list[Token]) -> str:
    return " ".join(t.text for t in span)


def _use(span: list[Token], label: str) -> None:
    """Learned spans are marked with upper-case labels (so the parse records ``rules+tagger``)."""
    for tok in span:
        tok.used = label


def _is_no_experience(toks: list[Token], i: int) -> bool:
    return toks[i].low == "no" and i + 1 < len(toks) and toks[i + 1].low in {"experience", "exp"}


def _continues(state: _State, j: int, begin: int) -> bool:
    """Whether token ``j`` still belongs to the negation scope that started at ``begin``: joined by a
    hyphen or slash, a list ("crypto or web3"), or the next word of a known phrase ("New York")."""
    tok, prev = state.tokens[j], state.tokens[j - 1]
    between = gap(state.text, prev, tok)
    if between in {"-", "/"}:
        return True
    if between.strip():
        return False
    if tok.low in _CONJ:
        return j + 1 < len(state.tokens)
    if prev.low in _CONJ or prev.low in {"a", "an", "the"}:
        return True
    return j - begin < 3 and state.starts_phrase(begin, j + 1)


def _prev_in(toks: list[Token], i: int, words: set[str]) -> bool:
    return i > 0 and toks[i - 1].low in words


def _role_follows(toks: list[Token], j: int) -> bool:
    return any(t.low in ROLE_HEADS or t.low in {"software", "data", "ml", "product", "backend", "frontend"} for t in toks[j:j + 2])


def _skill_cue(state: _State, i: int, n: int) -> bool:
    """An ambiguous skill word counts only when written like a name or used like a skill."""
    toks, first = state.tokens, state.tokens[i]
    cased = any(ch.isupper() for ch in first.text) and (i > 0 or first.text.isupper() and len(first.text) > 1)
    listed = (i > 0 and toks[i - 1].used == "skill") or (i + n < len(toks) and toks[i + n].low in _CONJ)
    return cased or listed or _role_follows(toks, i + n) or any(_marker_ends_at(toks, j) for j in range(max(0, i - 3), i))


def _marker_ends_at(toks: list[Token], i: int) -> bool:
    one = toks[i].low
    two = f"{toks[i - 1].low} {one}" if i > 0 else ""
    return (one in SKILL_MARKERS or two in SKILL_MARKERS) and toks[i].used is None


def _assemble(state: _State, pre, occupation: str | None, candidates: list[tuple[str, float]], now: datetime) -> ParsedQuery:
    from semstream.models.qu.assemble import build_parsed

    return build_parsed(state, pre, occupation, candidates, now)
