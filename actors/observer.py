"""What an ingest worker reports after each batch; the Ray metrics exporter implements it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from semstream.topics.protocol import TopicPartition


@dataclass
class BatchOutcome:
    """Per-topic outcomes of one committed batch, and the consumer lag measured after its poll.

    A poll that returned nothing is reported as an empty outcome when the lag moved since the
    last report (so a caught-up consumer shows 0), not otherwise.
    """

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, written|stale|dead_letter)
    freshness: list[tuple[str, float]] = field(default_factory=list)     # (topic, seconds)
    dead_letters: list[tuple[str, str]] = field(default_factory=list)    # (topic, reason code)
    lag: dict[TopicPartition, int] | None = None  # EventSource.lag() after the poll; None = not measured


class IngestObserver(Protocol):
    def observe(self, outcome: BatchOutcome) -> None: ...


def reason_code(reason: str) -> str:
    """A short fixed code for a dead-letter reason (metric tags must not carry free text)."""
    text = reason.lower()
    if "over the limit" in text:
        return "too_long"
    if "does not match id" in text:
        return "key_mismatch"
    if any(word in text for word in ("utf-8", "json", "not an object", "empty (null")):
        return "decode"
    return "schema"
