"""Errors of the query-understanding subpackage."""

from semstream.models.exceptions import ModelError


class QUError(ModelError):
    """Query understanding failed; the message names the bad input or file."""


class QUDataError(QUError):
    """A vocabulary, gazetteer, title list or tagger file is missing or malformed."""


class LLMParseError(QUError):
    """The optional LLM endpoint failed or answered with something that is not the schema."""
