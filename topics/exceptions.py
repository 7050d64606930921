"""Errors of the topics subpackage (Kafka clients, embedded broker, data loaders)."""

from semstream.errors import SemstreamError


class TopicsError(SemstreamError):
    """Something on the Kafka side failed; the message names the broker, topic or file."""


class BrokerError(TopicsError):
    """The embedded broker could not be started or stopped."""


class BrokerUnavailable(TopicsError):
    """No broker answered at the bootstrap address; the caller may retry."""


class DeliveryError(TopicsError):
    """A produced record was not acknowledged by the broker."""


class CommitError(TopicsError):
    """Offsets could not be committed (e.g. the group rebalanced); poll again and retry."""


class DataError(TopicsError):
    """A data file is missing or unreadable; the message names the path."""
