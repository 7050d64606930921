"""A seeded simulator of searchers, for engagement-teacher training data before real traffic.

Model (one session = one simulated searcher issuing one query):

1. **What is shown.** The query's judged candidates, ordered by the judge's ``p_yes`` plus Gaussian
   noise (``ranking_noise``), a stand-in for an imperfect production ranker; the top
   ``list_size`` are shown and each gets an ``impression``. The noise moves items across
   positions between sessions, which is what lets a learner separate position from relevance.
2. **Utility.** ``u = rel_weight * (grade - 2) + taste + popularity_weight * popularity`` where
   ``taste ~ N(0, taste_sd)`` is this searcher's view of this item and ``popularity ~ N(0, 1)`` is
   fixed per item (seeded by item id), shared by all searchers.
3. **Examination.** Position-based (``"pbm"``): the item at 0-based position p is examined with
   probability ``1 / log2(p + 2)``. Cascade (``"cascade"``): examine top-down; after a click stop
   with ``cascade_stop_after_click``, otherwise with ``cascade_abandon``.
4. **Actions given examination** (``sigmoid`` of utility plus an offset per action):
   jobs: ``click`` (offset ``click_bias``); a click leads to ``apply`` (``apply_bias``); an examined,
   unclicked item is ``dismiss``-ed (``dismiss_bias - u``).
   people: ``profile_view`` (``click_bias``); a view leads to ``connect`` (``connect_bias``) and,
   independently, ``message`` (``message_bias``).

Everything draws from one ``numpy`` generator seeded by ``seed``; the same input gives the same events.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from semstream.models.data.judged import JudgedPair
from semstream.models.engagement.schema import ACTIONS, EngagementEvent
from semstream.schemas import EntityKind

START_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z: simulated sessions start here


@dataclass(frozen=True)
class SimConfig:
    searchers_per_query: int = 4
    list_size: int = 20
    examination: Literal["pbm", "cascade"] = "pbm"
    ranking_noise: float = 0.15
    rel_weight: float = 1.5
    taste_sd: float = 0.7
    popularity_weight: float = 0.4
    click_bias: float = -1.5
    apply_bias: float = -2.5
    dismiss_bias: float = -2.0
    connect_bias: float = -2.0
    message_bias: float = -3.5
    cascade_stop_after_click: float = 0.5
    cascade_abandon: float = 0.1
    session_gap_s: float = 600.0


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def popularity(item_id: str, seed: int) -> float:
    """A fixed N(0, 1) draw per (seed, item): how attractive the item is to everyone."""
    digest = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    return float(np.random.default_rng(int.from_bytes(digest, "little")).standard_normal())


def examination_probability(position: int) -> float:
    """Position-based model: 1 / log2(position + 2) for a 0-based position."""
    return 1.0 / math.log2(position + 2)


class Simulator:
    """Plays sessions over judged candidates; see the module docstring for the model."""

    def __init__(self, kind: EntityKind, seed: int, config: SimConfig | None = None) -> None:
        self.kind = kind
        self.seed = seed
        self.config = config or SimConfig()
        self.rng = np.random.default_rng(seed)
        self._session = 0

    def session(self, query_text: str, pairs: Sequence[JudgedPair], searcher_id: str) -> list[EngagementEvent]:
        cfg, t0 = self.config, START_TS + self._session * self.config.session_gap_s
        self._session += 1
        shown = self._shown(pairs)
        events: list[EngagementEvent] = []
        keep_looking = True
        for position, pair in enumerate(shown):
            events.append(self._event(query_text, searcher_id, pair, position, "impression", t0 + position))
            if not keep_looking:
                continue
            examined = (self.rng.random() < examination_probability(position)) if cfg.examination == "pbm" else True
            if not examined:
                continue
            u = self._utility(pair)
            actions = self._act(u)
            events += [self._event(query_text, searcher_id, pair, position, a, t0 + position + 1 + i)
                       for i, a in enumerate(actions)]
            if cfg.examination == "cascade":
                stop = cfg.cascade_stop_after_click if actions[:1] in (["click"], ["profile_view"]) else cfg.cascade_abandon
                keep_looking = self.rng.random() >= stop
        return events

    def _shown(self, pairs: Sequence[JudgedPair]) -> list[JudgedPair]:
        noise = self.rng.normal(0.0, self.config.ranking_noise, size=len(pairs))
        order = sorted(range(len(pairs)), key=lambda i: (-(pairs[i].p_yes + noise[i]), pairs[i].item_id))
        return [pairs[i] for i in order[: self.config.list_size]]

    def _utility(self, pair: JudgedPair) -> float:
        cfg = self.config
        taste = float(self.rng.normal(0.0, cfg.taste_sd))
        return cfg.rel_weight * (pair.grade - 2) + taste + cfg.popularity_weight * popularity(pair.item_id, self.seed)

    def _act(self, u: float) -> list[str]:
        cfg, draw = self.config, self.rng.random
        if self.kind is EntityKind.JOB:
            if draw() < _sigmoid(u + cfg.click_bias):
                return ["click", "apply"] if draw() < _sigmoid(u + cfg.apply_bias) else ["click"]
            return ["dismiss"] if draw() < _sigmoid(cfg.dismiss_bias - u) else []
        if draw() >= _sigmoid(u + cfg.click_bias):
            return []
        out = ["profile_view"]
        if draw() < _sigmoid(u + cfg.connect_bias):
            out.append("connect")
        if draw() < _sigmoid(u + cfg.message_bias):
            out.append("message")
        return out

    def _event(self, query_text: str, searcher_id: str, pair: JudgedPair, position: int, action: str,
               ts: float) -> EngagementEvent:
        return EngagementEvent(kind=self.kind, query_text=query_text, searcher_id=searcher_id,
                               item_id=pair.item_id, position=position, action=action, ts=ts)  # type: ignore[arg-type]


def simulate(
    kind: EntityKind,
    judged_pairs_grouped_by_query: Mapping[str, Sequence[JudgedPair]],
    seed: int,
    config: SimConfig | None = None,
) -> list[EngagementEvent]:
    """Events of ``searchers_per_query`` simulated sessions per query, queries in sorted order."""
    sim = Simulator(kind, seed, config)
    events: list[EngagementEvent] = []
    for qi, text in enumerate(sorted(judged_pairs_grouped_by_query)):
        pairs = sorted(judged_pairs_grouped_by_query[text], key=lambda p: p.item_id)
        for s in range(sim.config.searchers_per_query):
            events += sim.session(text, pairs, searcher_id=f"sim-{seed}-{qi}-{s}")
    return events


def engagement_labels(events: Iterable[EngagementEvent]) -> dict[tuple[str, str], dict[str, float]]:
    """Empirical rates per (query_text, item_id).

    ``"impression"`` holds the impression count (the denominator); every other action of the
    vertical holds its count divided by the impressions (0.0 when it never happened).
    """
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    kinds: dict[tuple[str, str], EntityKind] = {}
    for e in events:
        key = (e.query_text, e.item_id)
        counts[key][e.action] += 1
        kinds[key] = e.kind
    labels: dict[tuple[str, str], dict[str, float]] = {}
    for key, c in counts.items():
        shown = max(c.get("impression", 0), 1)
        labels[key] = {a: (float(c.get(a, 0)) if a == "impression" else c.get(a, 0) / shown)
                       for a in ACTIONS[kinds[key]]}
    return labels
