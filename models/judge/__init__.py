"""Relevance judges: the written policy (POLICY.md), its rule-based judge and an optional LLM judge."""

from semstream.models.judge.schema import P_YES, Grade, Judge, JudgeQuery

__all__ = ["P_YES", "Grade", "Judge", "JudgeQuery"]
