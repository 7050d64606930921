"""Errors of the judge subpackage."""

from semstream.models.exceptions import ModelError


class JudgeError(ModelError):
    """A judge could not load its resources or grade a pair; the message names the input."""


class LlmJudgeError(JudgeError):
    """An OpenAI-compatible judge endpoint failed or answered something unusable; names the endpoint."""
