"""Click AUROC on held-out simulated sessions: the engagement teacher (and student) against popularity.

Every held-out impression is one case, labelled 1 when the same searcher clicked that item for that
query. Popularity is the baseline a team would ship first: the item's click-through rate in the
training sessions (add-one smoothed; unseen items get the global rate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from semstream.models.engagement.schema import EngagementEvent
from semstream.models.eval.metrics import auroc

CLICKS = ("click", "profile_view")  # the first positive action of each vertical
Key = tuple[str, str]  # (query text, item id)


def impressions(events: Sequence[EngagementEvent]) -> tuple[list[Key], list[int]]:
    """(query, item) of each impression and whether that searcher clicked it."""
    clicked = {(e.query_text, e.searcher_id, e.item_id) for e in events if e.action in CLICKS}
    shown = [e for e in events if e.action == "impression"]
    return ([(e.query_text, e.item_id) for e in shown],
            [int((e.query_text, e.searcher_id, e.item_id) in clicked) for e in shown])


def popularity(train_events: Sequence[EngagementEvent]) -> Callable[[str], float]:
    """Item id -> smoothed click-through rate in ``train_events``."""
    shown: dict[str, int] = defaultdict(int)
    clicks: dict[str, int] = defaultdict(int)
    for e in train_events:
        if e.action == "impression":
            shown[e.item_id] += 1
        elif e.action in CLICKS:
            clicks[e.item_id] += 1
    prior = (sum(clicks.values()) + 1) / (sum(shown.values()) + 2)
    return lambda item: (clicks[item] + 2 * prior) / (shown[item] + 2) if item in shown else prior


def click_auroc(train_events: Sequence[EngagementEvent], test_events: Sequence[EngagementEvent],
                models: dict[str, Callable[[Key], float]]) -> dict[str, float | int]:
    """AUROC of each model's P(click) and of popularity over the held-out impressions."""
    keys, labels = impressions(test_events)
    pop = popularity(train_events)
    out: dict[str, float | int] = {"impressions": len(keys), "clicks": int(sum(labels)),
                                   "popularity": auroc(labels, [pop(item) for _, item in keys])}
    for name, score in models.items():
        out[name] = auroc(labels, [score(key) for key in keys])
    return out
