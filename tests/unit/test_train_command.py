"""The training command's summary: every held-out figure the pipeline reports gets a line."""

from __future__ import annotations

from semstream.commands.train import summary_lines


def test_summary_lines_cover_rankers_mixlm_fusion_and_clicks() -> None:
    row = {"ndcg@10": 0.8, "auroc": 0.7, "ece": 0.05}
    report = {"stages": {"student": {"seconds": 12.0, "result": {"artifact": "/m/default/v1", "eval": {
        "retrieval_order": {"ndcg@10": 0.7}, "student_calibrated": row,
        "mixlm": {"soft_tokens": 1, "test": {"ndcg@10": 0.79, "auroc": 0.69}},
        "retrieval_fusion": {"weight": 3.0, "center": 0.55, "facts_weight": 8.0, "facts_center": 0.4,
                             "calib_ndcg@10": {"0,0": 0.7, "3,8": 0.72}},
        "click_auroc": {"impressions": 10, "engagement_teacher": 0.61, "student": 0.6, "popularity": 0.57}}}}}}
    lines = summary_lines(report)
    assert lines[0] == "student: 12.0 s" and lines[1] == "ranker: /m/default/v1"
    assert any(line.split()[:3] == ["mixlm", "NDCG@10", "0.7900"] for line in lines)
    assert any("popularity 0.5700" in line and "engagement_teacher 0.6100" in line for line in lines)
    assert any(line.split()[:9] == ["fusion", "weights", "retrieval", "3.0", "(centre", "0.55),", "facts", "8.0",
                                    "(centre"] for line in lines)
    assert any(line.endswith("calibration NDCG@10 0.7 alone, 0.72 fused (2 weight pairs tried)") for line in lines)
