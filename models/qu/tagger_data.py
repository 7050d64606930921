"""Generated training queries for the span tagger: templates filled with ESCO titles, gazetteer
places, known skills and companies, and made-up names so the tagger learns context, not lists."""

from __future__ import annotations

import random
import re

from semstream.models.qu.gazetteer import Gazetteer, default_gazetteer
from semstream.models.qu.titles import BUILTIN_FILE, _read_tsv
from semstream.models.qu.vocab import Vocab, default_vocab

TEMPLATES = (
    "{ROLE} jobs in {LOC}", "{ROLE} at {COMPANY}", "{ROLE} at {COMPANY} in {LOC}", "{SKILL} {ROLE} in {LOC}",
    "{ROLE} who know {SKILL}", "{ROLE} with {SKILL} experience", "{ROLE} with {SKILL} and {SKILL}",
    "{COMPANY} {ROLE} jobs", "jobs at {COMPANY}", "{ROLE} working at {COMPANY}", "ex {COMPANY} {ROLE}",
    "{ROLE} from {COMPANY}", "{COMPANY} hiring {ROLE}", "{SKILL} jobs in {LOC}", "remote {SKILL} {ROLE}",
    "senior {ROLE} {LOC}", "{ROLE} near {LOC}", "{ROLE} based in {LOC}", "people at {COMPANY} who know {SKILL}",
    "{ROLE} skilled in {SKILL}", "{ROLE} using {SKILL}", "{SKILL} {ROLE} at {COMPANY}", "{ROLE}",
    "{COMPANY} jobs", "work for {COMPANY}", "{ROLE} {LOC}", "{ROLE} in {LOC} who know {SKILL} and {SKILL}",
    "junior {ROLE} jobs at {COMPANY}", "{ROLE} jobs {LOC} {SKILL}", "{SKILL} and {SKILL} {ROLE}",
    "{ROLE} positions at {COMPANY} posted this week", "full time {ROLE} in {LOC}", "{ROLE} in {LOC} at {COMPANY}",
    "engineers at {COMPANY}", "{ROLE} experienced in {SKILL}", "{ROLE} proficient in {SKILL}", "{SKILL} developer",
    "{ROLE} for {COMPANY}", "{ROLE} needed at {COMPANY} {LOC}", "hiring {ROLE} in {LOC}", "{LOC} {ROLE} jobs",
)
_SYLLABLES = ("ac", "me", "zo", "ri", "ta", "lon", "vex", "qu", "bra", "no", "kel", "sy", "dra", "fin", "ox",
              "pi", "lum", "tor", "ga", "ne", "ix", "ber", "ka", "sto", "ul", "mi", "ra", "zen", "tek", "vo")
_COMPANY_SUFFIXES = ("", "", "", " Labs", " AI", " Technologies", " GmbH", " Inc", " Systems", " Health", " Bank")
_SLOT = re.compile(r"\{(ROLE|LOC|SKILL|COMPANY)\}")


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))


def _case(text: str, rng: random.Random) -> str:
    r = rng.random()
    return text.lower() if r < 0.45 else text.title() if r < 0.8 else text


def _fillers(gazetteer: Gazetteer, vocab: Vocab) -> dict[str, list[str]]:
    roles = [label for pref, alts in _read_tsv(BUILTIN_FILE) for label in [pref, *alts[:2]] if len(label.split()) <= 4]
    places = sorted({p.name for p in gazetteer.phrases.values() if p.kind != "region"})
    return {"ROLE": roles, "LOC": places, "SKILL": sorted(set(vocab.skills.values())),
            "COMPANY": sorted(set(vocab.companies.values()))}


def _fill(slot: str, pools: dict[str, list[str]], rng: random.Random) -> str:
    if slot == "COMPANY" and rng.random() < 0.6:
        return pseudo_word(rng).capitalize() + rng.choice(_COMPANY_SUFFIXES)
    if slot in ("SKILL", "LOC") and rng.random() < 0.3:
        return pseudo_word(rng).capitalize() if slot == "LOC" or rng.random() < 0.5 else pseudo_word(rng)
    return rng.choice(pools[slot])


def generate(n: int = 3000, seed: int = 13, gazetteer: Gazetteer | None = None, vocab: Vocab | None = None) -> list[tuple[list[str], list[str]]]:
    """``n`` tagged queries (words, tags), deterministic for a seed."""
    rng = random.Random(seed)
    pools = _fillers(gazetteer or default_gazetteer(), vocab or default_vocab())
    out = []
    for _ in range(n):
        words: list[str] = []
        tags: list[str] = []
        template = rng.choice(TEMPLATES)
        pos = 0
        for m in _SLOT.finditer(template):
            for w in template[pos:m.start()].split():
                words.append(w)
                tags.append("O")
            value = _case(_fill(m.group(1), pools, rng), rng)
            for w in value.split():
                words.append(w)
                tags.append(m.group(1))
            pos = m.end()
        for w in template[pos:].split():
            words.append(w)
            tags.append("O")
        out.append((words, tags))
    return out
