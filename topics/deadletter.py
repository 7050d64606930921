"""Dead letters: a record that could not be processed, kept with its position and the reason.

Written as JSON to ``deadletter.v1`` keyed like the original record. Keys and values are kept as
text when they are UTF-8, else base64. Values are cut to :data:`VALUE_CAP_BYTES` bytes (the
original size is kept in ``value_bytes``) so one huge bad record cannot clog the dead-letter topic.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

from semstream.topics.protocol import EventSink, RawRecord
from semstream.topics.registry import DEADLETTER

VALUE_CAP_BYTES = 16_384
REASON_CAP_CHARS = 1_000

Encoding = Literal["utf-8", "base64"]


class DeadLetter(BaseModel):
    """One dead-lettered record."""

    source_topic: str
    partition: int
    offset: int
    key: str | None = None
    key_encoding: Encoding = "utf-8"
    value: str | None = None
    value_encoding: Encoding = "utf-8"
    value_bytes: int = Field(0, description="Size of the original value in bytes.")
    value_truncated: bool = False
    reason: str
    failed_at: datetime


def _as_text(data: bytes) -> tuple[str, Encoding]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def make_dead_letter(record: RawRecord, reason: str) -> DeadLetter:
    """The dead letter for ``record``; a value cut mid-character is stored as base64."""
    key, key_encoding = _as_text(record.key) if record.key is not None else (None, "utf-8")
    value, value_encoding = (None, "utf-8")
    if record.value is not None:
        value, value_encoding = _as_text(record.value[:VALUE_CAP_BYTES])
    return DeadLetter(
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=key,
        key_encoding=key_encoding,
        value=value,
        value_encoding=value_encoding,
        value_bytes=len(record.value or b""),
        value_truncated=len(record.value or b"") > VALUE_CAP_BYTES,
        reason=reason[:REASON_CAP_CHARS],
        failed_at=datetime.now(timezone.utc),
    )


def dead_letter(sink: EventSink, record: RawRecord, reason: str) -> DeadLetter:
    """Send ``record`` to the dead-letter topic. The caller flushes ``sink`` before committing."""
    letter = make_dead_letter(record, reason)
    sink.send(DEADLETTER, record.key, letter.model_dump_json().encode("utf-8"))
    return letter
