"""Errors of the serving DAG."""

from semstream.errors import SemstreamError


class ServingError(SemstreamError):
    """A serving stage failed for a reason that is not the client's fault."""


class StageUnavailable(ServingError):
    """A stage (understanding, retrieval) could not answer; the message names it."""


class InvalidFeedback(ServingError):
    """A feedback event could not be encoded for the engagement topic."""
