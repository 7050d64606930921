"""Errors of the models subpackage."""

from semstream.errors import SemstreamError


class ModelError(SemstreamError):
    """A model failed to load, train or score."""


class ModelLoadError(ModelError):
    """A model folder is missing or unreadable; the message names the path."""
