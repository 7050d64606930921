"""The one ``on_error`` policy for records a stream worker cannot process (DESIGN §5.4)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from semstream.config import OnError, Settings
from semstream.errors import ConfigError, SemstreamError
from semstream.topics.deadletter import dead_letter
from semstream.topics.protocol import EventSink, RawRecord

log = logging.getLogger(__name__)


def reason_of(error: BaseException) -> str:
    """A short reason: the message of a semstream error, else ``Type: message``."""
    text = str(error)
    if isinstance(error, SemstreamError) and text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclass
class ErrorPolicy:
    """``dead_letter``: send the record to ``deadletter.v1`` (needs ``sink``) and go on;
    ``skip``: log and go on; ``raise``: re-raise the error, stopping the worker.

    In the first two modes the caller commits the record's offset as processed (after flushing
    the sink in ``dead_letter`` mode). ``counts`` tallies handled records per mode.
    """

    mode: OnError
    sink: EventSink | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if self.mode not in ("dead_letter", "skip", "raise"):
            raise ConfigError(f"on_error must be dead_letter, skip or raise, got {self.mode!r}")
        if self.mode == "dead_letter" and self.sink is None:
            raise ConfigError("on_error=dead_letter needs a sink to write the dead letters to")

    @classmethod
    def from_settings(cls, settings: Settings, sink: EventSink | None) -> ErrorPolicy:
        return cls(settings.on_error, sink)

    def handle(self, record: RawRecord, error: BaseException) -> None:
        """Apply the policy to ``record`` that failed with ``error``."""
        self.counts[self.mode] += 1
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        if self.mode == "raise":
            raise error
        reason = reason_of(error)
        if self.mode == "skip":
            log.warning("skipping %s: %s", where, reason)
            return
        assert self.sink is not None
        dead_letter(self.sink, record, reason)
        log.warning("dead-lettered %s: %s", where, reason)
