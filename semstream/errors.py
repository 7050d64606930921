"""The root of every error semstream raises on purpose."""


class SemstreamError(Exception):
    """Base class: catch this to catch anything semstream raised deliberately."""


class ConfigError(SemstreamError):
    """Configuration is invalid; the message names the field."""


class StoreError(SemstreamError):
    """The vector store refused or failed an operation."""


class StoreUnavailable(StoreError):
    """The vector store could not be reached; the caller may retry."""


class InvalidEvent(SemstreamError):
    """An event could not be decoded or validated; the message says why."""
