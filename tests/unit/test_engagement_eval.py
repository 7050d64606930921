"""Click AUROC on held-out sessions: labels come from the same searcher's clicks; popularity is the baseline."""

from __future__ import annotations

import pytest

from semstream.models.engagement.schema import EngagementEvent
from semstream.models.training.engagement_eval import click_auroc, impressions, popularity
from semstream.schemas import EntityKind


def _event(query: str, searcher: str, item: str, action: str, position: int = 0) -> EngagementEvent:
    return EngagementEvent(kind=EntityKind.JOB, query_text=query, searcher_id=searcher, item_id=item,
                           position=position, action=action, ts=1.0)


def _session(query: str, searcher: str, shown: list[str], clicked: set[str]) -> list[EngagementEvent]:
    events = [_event(query, searcher, item, "impression", i) for i, item in enumerate(shown)]
    return events + [_event(query, searcher, item, "click", shown.index(item)) for item in clicked]


def test_impressions_are_labelled_by_the_same_searchers_click() -> None:
    events = _session("python", "s1", ["a", "b"], {"a"}) + _session("python", "s2", ["a", "b"], set())
    keys, labels = impressions(events)
    assert keys == [("python", "a"), ("python", "b"), ("python", "a"), ("python", "b")]
    assert labels == [1, 0, 0, 0]


def test_popularity_is_smoothed_click_through_rate() -> None:
    train = _session("q", "s1", ["hot", "cold"], {"hot"}) + _session("q", "s2", ["hot", "cold"], {"hot"})
    pop = popularity(train)
    assert pop("hot") > pop("unseen") > pop("cold")
    assert pop("unseen") == pytest.approx(3 / 6)


def test_click_auroc_ranks_a_perfect_model_above_popularity() -> None:
    train = _session("q", "s1", ["a", "b", "c"], {"a"})
    test = (_session("java", "s2", ["a", "b", "c"], {"b"}) + _session("chef", "s3", ["a", "b", "c"], {"c"}))
    truth = {("java", "b"), ("chef", "c")}
    report = click_auroc(train, test, {"oracle": lambda key: float(key in truth), "flat": lambda key: 0.5})
    assert report["impressions"] == 6 and report["clicks"] == 2
    assert report["oracle"] == 1.0 and report["flat"] == 0.5
    assert report["popularity"] < report["oracle"]
