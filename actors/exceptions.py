"""Errors of the ingest actors."""

from semstream.errors import SemstreamError


class IngestError(SemstreamError):
    """An ingest worker could not make progress (after its retries)."""
