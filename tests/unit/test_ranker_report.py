"""The ranker report card: which rows it reads and how it names the modes it evaluates."""

from __future__ import annotations

import pytest

from semstream.models.eval.ranker_report import TEACHER, mixlm_name, summary
from semstream.models.eval.rankers import ranker_spec


def _row(ndcg: float, pmr: float = 0.3) -> dict[str, float]:
    return {"ndcg@10": ndcg, "poor_match_rate@10": pmr, "map": 0.1}


def test_a_ranker_named_without_a_mode_is_evaluated_as_its_text_student() -> None:
    assert ranker_spec("default") == ("default", "prefix-shared")
    assert ranker_spec(mixlm_name("default")) == ("default", "mixlm")
    assert ranker_spec("mine:full-text") == ("mine", "full-text")


def test_summary_reads_gains_and_the_mixlm_rows_beside_the_student() -> None:
    melo = {"methods": {"dense": _row(0.40), "dense+default": _row(0.46), "dense+default(ranker alone)": _row(0.38),
                        "dense+default:mixlm": _row(0.44)}}
    judged = {"methods": {"dense": _row(0.70), "bm25": _row(0.80), TEACHER: _row(0.72), "default": _row(0.75),
                          "default:mixlm": _row(0.73, 0.4)}}
    out = summary(melo, judged, {"click_auroc": {"student": 0.7}}, "default")
    assert out["melo"]["relative_gain"] == pytest.approx(0.15) and out["melo"]["mixlm_relative_gain"] == pytest.approx(0.10)
    assert out["melo"]["ranker_alone_relative_gain"] == pytest.approx(-0.05)
    assert out["judged"]["student_minus_teacher"] == pytest.approx(0.03)
    assert out["judged"]["mixlm"] == {"ndcg@10": 0.73, "poor_match_rate@10": 0.4}
    assert out["click_auroc"] == {"student": 0.7} and out["judged"]["student_alone"] is None


def test_summary_without_melo_or_mixlm_leaves_those_rows_empty() -> None:
    judged = {"methods": {"dense": _row(0.70), "default": _row(0.75)}}
    out = summary(None, judged, {}, "default")
    assert "melo" not in out and out["judged"]["mixlm"] is None and out["judged"]["relevance_teacher"] is None
    assert "student_minus_teacher" not in out["judged"]
