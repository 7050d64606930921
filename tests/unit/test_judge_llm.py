"""Parsing an LLM judge's answer: tolerant of fences and prose, strict about the grade."""

from __future__ import annotations

import pytest

from semstream.models.judge.exceptions import LlmJudgeError
from semstream.models.judge.llm import chat_url, parse_grade
from semstream.models.judge.schema import P_YES
from semstream.models.exceptions import ModelError


@pytest.mark.parametrize("content, grade", [
    ('{"grade": 3, "rationale": "same role"}', 3),
    ('```json\n{"grade": "4", "rationale": "exact"}\n```', 4),
    ('Here you go: {"rationale": "close", "grade": 2.0} hope it helps', 2),
    ("grade: 1 because the city differs", 1),
])
def test_parse_grade_accepts_common_answer_shapes(content: str, grade: int) -> None:
    parsed = parse_grade(content, "http://x")
    assert parsed.grade == grade
    assert parsed.p_yes == P_YES[grade]
    assert parsed.rationale


@pytest.mark.parametrize("content", ["I think it is relevant", '{"grade": 7}', '{"grade": "high"}', ""])
def test_parse_grade_rejects_answers_without_a_valid_grade(content: str) -> None:
    with pytest.raises(LlmJudgeError, match="http://judge.example") as info:
        parse_grade(content, "http://judge.example")
    assert isinstance(info.value, ModelError)


def test_chat_url_accepts_host_or_v1_base() -> None:
    assert chat_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
