"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from semstream.models.eval.metrics import (
    auroc,
    average_precision,
    exp_gains,
    ndcg_at_k,
    poor_match_rate_at_k,
    recall_at_k,
)

LOG3 = math.log2(3)


def test_ndcg_hand_computed() -> None:
    gains = {"a": 3, "b": 2, "c": 0, "d": 1}
    # ranked c, a, b: DCG = 0 + 3/log2(3) + 2/2 ; ideal a, b, d = 3 + 2/log2(3) + 1/2
    expected = (3 / LOG3 + 1.0) / (3 + 2 / LOG3 + 0.5)
    assert ndcg_at_k(["c", "a", "b"], gains, 3) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "d", "c"], gains, 3) == pytest.approx(1.0)


def test_ndcg_ideal_counts_judged_items_never_retrieved() -> None:
    # only "x" retrieved at rank 1; ideal has x and y
    assert ndcg_at_k(["x"], {"x": 1, "y": 1}, 10) == pytest.approx(1 / (1 + 1 / LOG3))


def test_ndcg_cuts_at_k_and_zero_without_positives() -> None:
    assert ndcg_at_k(["z", "a"], {"a": 1}, 1) == 0.0
    assert ndcg_at_k(["a"], {"a": 0}, 10) == 0.0
    assert ndcg_at_k(["u1", "u2"], {}, 10) == 0.0


def test_exp_gains() -> None:
    assert exp_gains({"a": 0, "b": 2, "c": 4}) == {"a": 0.0, "b": 3.0, "c": 15.0}


def test_recall_at_k() -> None:
    assert recall_at_k(["a", "x", "b", "y"], {"a", "b", "c", "d"}, 2) == pytest.approx(0.25)
    assert recall_at_k(["a", "x", "b", "y"], {"a", "b", "c", "d"}, 4) == pytest.approx(0.5)
    assert recall_at_k(["a"], set(), 10) == 0.0


def test_average_precision_hand_computed() -> None:
    # relevant at ranks 1 and 3 of {a, b, c}: (1/1 + 2/3) / 3
    assert average_precision(["a", "x", "b", "y"], {"a", "b", "c"}) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision(["x", "y"], {"a"}) == 0.0


def test_poor_match_rate_skips_or_penalises_unjudged() -> None:
    grades = {"a": 4, "b": 1, "c": 0, "d": 3}
    ranked = ["a", "b", "u", "c", "d"]
    assert poor_match_rate_at_k(ranked, grades, k=4) == pytest.approx(2 / 3)
    assert poor_match_rate_at_k(ranked, grades, k=4, unjudged="poor") == pytest.approx(3 / 4)
    assert poor_match_rate_at_k(ranked, grades, k=4, threshold=0) == pytest.approx(1 / 3)
    assert poor_match_rate_at_k(["u"], grades) == 0.0


def test_auroc_hand_computed_with_ties() -> None:
    # positives 0.9, 0.5 ; negatives 0.5, 0.1 -> pairs: (0.9>0.5)=1, (0.9>0.1)=1, (0.5=0.5)=0.5, (0.5>0.1)=1
    assert auroc([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]) == pytest.approx(3.5 / 4)
    assert auroc([1, 0], [0.1, 0.9]) == 0.0
    assert math.isnan(auroc([1, 1], [0.2, 0.3]))
    with pytest.raises(ValueError, match="length"):
        auroc([1, 0], [0.5])
