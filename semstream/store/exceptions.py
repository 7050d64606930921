"""Errors the store adapters raise (all derive from :class:`semstream.errors.StoreError`)."""

from semstream.errors import StoreError, StoreUnavailable

__all__ = ["CollectionMissing", "StoreClosed", "StoreError", "StoreLocked", "StoreUnavailable"]


class StoreLocked(StoreError):
    """Another process owns the embedded store directory named in the message."""


class CollectionMissing(StoreError):
    """A write reached a collection that ``ensure_collection`` has not created."""


class StoreClosed(StoreError):
    """The store was used after ``close()``."""
