"""Bounded exponential back-off for transient failures (store or broker briefly unavailable)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from semstream.errors import StoreUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    attempts: int = 8
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0
    retry_on: tuple[type[BaseException], ...] = (StoreUnavailable,)

    def delays(self):
        delay = self.first_delay_s
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay_s)

    def call(self, fn: Callable[[], T], on_retry: Callable[[], None] | None = None) -> T:
        """Run ``fn``; on a retryable error wait and try again, re-raising after the last attempt."""
        for delay in self.delays():
            try:
                return fn()
            except self.retry_on as e:
                log.warning("transient failure (%s); retrying in %.1fs", e, delay)
                if on_retry:
                    on_retry()
                time.sleep(delay)
        return fn()
