"""Judged pairs and engagement events -> training examples for the ranker."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from semstream.models.data.judged import JudgedPair
from semstream.models.engagement.schema import EngagementEvent
from semstream.models.judge.schema import JudgeQuery
from semstream.models.qu.assemble import HINT_LABELS, hint_line
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.training.examples import Example
from semstream.schemas import EntityKind

if TYPE_CHECKING:
    from semstream.models.qu.service import QueryUnderstanding

# Positive engagement actions the engagement teacher and the student predict, per vertical.
ENGAGEMENT_ACTIONS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.JOB: ("click", "apply"),
    EntityKind.PROFILE: ("profile_view", "connect", "message"),
}
ALL_ACTIONS: list[str] = [a for kind in EntityKind for a in ENGAGEMENT_ACTIONS[kind]]
FIRST_ACTIONS = {actions[0] for actions in ENGAGEMENT_ACTIONS.values()}  # click, profile_view
# Downstream actions are rare: their rate is only trusted (unmasked) with this many impressions.
SPARSE_ACTIONS = {"apply", "connect", "message"}
MIN_IMPRESSIONS_SPARSE = 3


# (kind, structured query) -> the ranker hints its query carries; training uses what QU would send.
HintSource = Callable[[EntityKind, JudgeQuery], list[str]]


def hints_of(kind: EntityKind, query: JudgeQuery) -> list[str]:
    """The structured intent as hint lines in query understanding's format (the in-memory hint source)."""
    values = {"occupation": [query.role], "seniority": [query.seniority], "skill": list(query.skills),
              "location": [query.location], "company": [query.company], "remote": [query.remote],
              "recency": [str(query.recency_days) if query.recency_days else None]}
    present = {name: [v for v in vs if v] for name, vs in values.items()}
    return [hint_line(name, present[name]) for name in HINT_LABELS if present.get(name)]


def qu_hint_source(qu: QueryUnderstanding) -> HintSource:
    """The hints query understanding derives from the query text, as serving sends them (memoised)."""

    @lru_cache(maxsize=None)
    def cached(kind: EntityKind, text: str) -> tuple[str, ...]:
        return tuple(qu.hints(kind, text))

    return lambda kind, query: list(cached(kind, query.text))


def _keep_hints(text: str, rate: float, seed: int) -> bool:
    digest = hashlib.blake2b(f"{seed}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64 < rate


def training_query(pair: JudgedPair, hints: HintSource, hint_rate: float, seed: int) -> RankQuery:
    """The pair's query as the ranker reads it; a seeded ``hint_rate`` share of the queries carries hints."""
    keep = _keep_hints(pair.query.text, hint_rate, seed)
    return RankQuery(kind=pair.kind, text=pair.query.text, hints=hints(pair.kind, pair.query) if keep else [])


def group_key(kind: EntityKind, text: str) -> str:
    return f"{kind.value}:{text}"


def relevance_examples(pairs: Sequence[JudgedPair], hint_rate: float, seed: int,
                       hints: HintSource = hints_of) -> list[Example]:
    """Task 0 = the judge's P(yes); position = the pair's rank in its query's candidate list."""
    positions: dict[str, int] = defaultdict(int)
    out = []
    for pair in pairs:
        group = group_key(pair.kind, pair.query.text)
        query = training_query(pair, hints, hint_rate, seed)
        out.append(Example(group=group, query=query, item=RankItem(id=pair.item_id, payload=pair.payload),
                           targets=[pair.p_yes], mask=[1.0], position=positions[group], grade=pair.grade))
        positions[group] += 1
    return out


def action_mask(kind: EntityKind, actions: Sequence[str] = ALL_ACTIONS) -> list[float]:
    """1 for the actions this vertical records, 0 for the others."""
    return [1.0 if a in ENGAGEMENT_ACTIONS[kind] else 0.0 for a in actions]


def position_propensity(events: Sequence[EngagementEvent], floor: float = 0.05) -> Callable[[int], float]:
    """P(examined | position) estimated from the logs as the click-through rate of each position relative
    to the best one (positive actions of either vertical), never below ``floor``."""
    shown: dict[int, int] = defaultdict(int)
    clicked: dict[int, int] = defaultdict(int)
    for e in events:
        if e.action == "impression":
            shown[e.position] += 1
        elif e.action in FIRST_ACTIONS:
            clicked[e.position] += 1
    ctr = {p: clicked[p] / n for p, n in shown.items()}
    best = max(ctr.values(), default=0.0)
    return lambda p: max(floor, ctr.get(p, 0.0) / best) if best > 0 else 1.0


def engagement_examples(events: Iterable[EngagementEvent], pairs: Sequence[JudgedPair], hint_rate: float,
                        seed: int, actions: Sequence[str] = ALL_ACTIONS, hints: HintSource = hints_of) -> list[Example]:
    """One example per shown (query, item): per-action rate per examined impression (clicks over the
    impressions' summed position propensities, so a low slot is not mistaken for a poor item), masked
    where not observed."""
    events = list(events)
    propensity = position_propensity(events)
    by_key = {(p.query.text, p.item_id): p for p in pairs}
    shown: dict[tuple[str, str], list[int]] = defaultdict(list)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in events:
        key = (e.query_text, e.item_id)
        if e.action == "impression":
            shown[key].append(e.position)
        counts[key][e.action] += 1
    out = []
    for key, positions in shown.items():
        pair = by_key.get(key)
        if pair is None:
            continue
        n = len(positions)
        examined = sum(propensity(p) for p in positions)
        targets = [min(1.0, counts[key].get(a, 0) / examined) for a in actions]
        mask = [m * float(a not in SPARSE_ACTIONS or n >= MIN_IMPRESSIONS_SPARSE)
                for a, m in zip(actions, action_mask(pair.kind, actions))]
        query = training_query(pair, hints, hint_rate, seed)
        out.append(Example(group=group_key(pair.kind, pair.query.text), query=query,
                           item=RankItem(id=pair.item_id, payload=pair.payload), targets=targets, mask=mask,
                           position=round(sum(positions) / n), grade=pair.grade))
    return out
