"""The engagement schema and the seeded searcher simulator."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pydantic import ValidationError

from semstream.models.data.judged import JudgedPair, group_by_query
from semstream.models.engagement.schema import ACTIONS, EngagementEvent
from semstream.models.engagement.simulator import SimConfig, engagement_labels, examination_probability, simulate
from semstream.models.judge.schema import P_YES, JudgeQuery
from semstream.schemas import EntityKind

JOB, PROFILE = EntityKind.JOB, EntityKind.PROFILE


def pairs_for(kind: EntityKind, n_queries: int = 6, per_query: int = 20) -> dict[str, list[JudgedPair]]:
    out = []
    for q in range(n_queries):
        query = JudgeQuery(text=f"query {q}")
        for i in range(per_query):
            grade = i % 5
            out.append(JudgedPair(kind=kind, query=query, item_id=f"q{q}-i{i:02d}", payload={"title": "t"},
                                  grade=grade, p_yes=P_YES[grade]))
    return group_by_query(out)


def test_event_schema_round_trips_as_json_and_checks_actions() -> None:
    event = EngagementEvent(kind=JOB, query_text="python", searcher_id="s1", item_id="j1", position=0,
                            action="apply", ts=1.5)
    assert EngagementEvent.model_validate(json.loads(event.model_dump_json())) == event
    assert event.key == "s1"
    with pytest.raises(ValidationError, match="connect"):
        EngagementEvent(kind=JOB, query_text="q", searcher_id="s", item_id="i", position=0, action="connect", ts=0)
    with pytest.raises(ValidationError):
        EngagementEvent(kind=PROFILE, query_text="q", searcher_id="s", item_id="i", position=-1,
                        action="connect", ts=0)


def test_simulation_is_deterministic_under_a_seed() -> None:
    groups = pairs_for(JOB)
    assert simulate(JOB, groups, seed=3) == simulate(JOB, groups, seed=3)
    assert simulate(JOB, groups, seed=3) != simulate(JOB, groups, seed=4)


def test_every_shown_item_gets_one_impression_and_actions_fit_the_vertical() -> None:
    cfg = SimConfig(searchers_per_query=2, list_size=10)
    for kind in (JOB, PROFILE):
        events = simulate(kind, pairs_for(kind), seed=1, config=cfg)
        assert {e.action for e in events} <= set(ACTIONS[kind])
        impressions = Counter((e.searcher_id, e.item_id) for e in events if e.action == "impression")
        assert len(impressions) == 6 * 2 * 10 and set(impressions.values()) == {1}
        assert max(e.position for e in events) == 9


def test_engagement_follows_relevance() -> None:
    groups = pairs_for(JOB, n_queries=20)
    events = simulate(JOB, groups, seed=7, config=SimConfig(searchers_per_query=10, ranking_noise=2.0))
    grade = {p.item_id: p.grade for ps in groups.values() for p in ps}
    shown, clicks, applies = Counter(), Counter(), Counter()
    for e in events:
        {"impression": shown, "click": clicks, "apply": applies}.get(e.action, Counter())[grade[e.item_id]] += 1
    ctr = {g: clicks[g] / shown[g] for g in range(5)}
    assert ctr[4] > ctr[2] > ctr[0]
    assert applies[4] > applies[0]


def test_position_bias_lowers_engagement_further_down() -> None:
    # all items equally relevant: only the position differs
    query = JudgeQuery(text="q")
    flat = [JudgedPair(kind=JOB, query=query, item_id=f"i{i:02d}", grade=3, p_yes=0.8) for i in range(20)]
    events = simulate(JOB, {"q": flat}, seed=5, config=SimConfig(searchers_per_query=400))
    clicks = Counter(e.position for e in events if e.action == "click")
    assert clicks[0] > 1.5 * clicks[15]
    assert examination_probability(0) == 1.0
    assert examination_probability(2) == pytest.approx(0.5)


def test_cascade_stops_examining_after_clicks() -> None:
    groups = pairs_for(PROFILE, n_queries=4)
    pbm = simulate(PROFILE, groups, seed=2, config=SimConfig(searchers_per_query=20))
    cascade = simulate(PROFILE, groups, seed=2, config=SimConfig(searchers_per_query=20, examination="cascade",
                                                                 cascade_stop_after_click=1.0))
    per_session = Counter(e.searcher_id for e in cascade if e.action == "profile_view")
    assert max(per_session.values()) == 1  # stops at the first view
    assert sum(e.action == "profile_view" for e in pbm) > sum(per_session.values())


def test_engagement_labels_are_rates_per_impression() -> None:
    base = dict(kind=JOB, query_text="q", searcher_id="s", position=0, ts=0.0)
    events = [EngagementEvent(item_id="a", action="impression", **base) for _ in range(4)]
    events += [EngagementEvent(item_id="a", action="click", **base),
               EngagementEvent(item_id="a", action="click", **base),
               EngagementEvent(item_id="a", action="apply", **base),
               EngagementEvent(item_id="b", action="impression", **base)]
    labels = engagement_labels(events)
    assert labels[("q", "a")] == {"impression": 4.0, "click": 0.5, "apply": 0.25, "dismiss": 0.0}
    assert labels[("q", "b")] == {"impression": 1.0, "click": 0.0, "apply": 0.0, "dismiss": 0.0}
