"""Errors of the training subpackage."""

from semstream.models.exceptions import ModelError


class TrainingError(ModelError):
    """Training data is missing or unusable, or a stage failed; the message names the stage or file."""
