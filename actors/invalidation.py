"""Tell the serving side which items changed, so cached ranker scores for them are dropped.

Best effort: the Ranking deployment's cache also checks item versions, so a missed call costs a
stale-score check, never a wrong answer. When no Serve app is running, calls are skipped.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from semstream.schemas import Document

log = logging.getLogger(__name__)


class CacheInvalidator:
    def __init__(self, retry_after_s: float = 30.0) -> None:
        self._handle: Any = None
        self._next_try = 0.0
        self._retry_after_s = retry_after_s

    def __call__(self, docs: Sequence[Document]) -> None:
        handle = self._ranking()
        if handle is None:
            return
        by_kind: dict[str, list[str]] = defaultdict(list)
        for doc in docs:
            by_kind[doc.kind.value].append(doc.id)
        for kind, ids in by_kind.items():
            handle.invalidate.remote(kind, ids)  # fire and forget

    def _ranking(self) -> Any:
        if self._handle is not None or time.monotonic() < self._next_try:
            return self._handle
        try:
            from semstream.deployments.app import ranking_handle

            self._handle = ranking_handle()
        except Exception as e:  # no Serve app (yet): try again later
            log.debug("no ranking deployment to invalidate: %s", e)
            self._next_try = time.monotonic() + self._retry_after_s
        return self._handle
