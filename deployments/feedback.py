"""Feedback from result pages -> an ``EngagementEvent`` record for the ``engagement.v1`` topic."""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import ValidationError

from semstream.models.engagement.schema import EngagementEvent

from semstream.deployments.exceptions import InvalidFeedback
from semstream.deployments.wire import VERTICAL_KIND, FeedbackRequest


def encode_feedback(body: FeedbackRequest, clock: Callable[[], float] = time.time) -> tuple[bytes, bytes]:
    """(key, value): keyed by searcher (their events stay in order), the value is the event's JSON."""
    try:
        event = EngagementEvent(
            kind=VERTICAL_KIND[body.vertical], query_text=body.query, searcher_id=body.searcher_id,
            item_id=body.item_id, position=body.position, action=body.event_action(), ts=clock(),
        )
    except ValidationError as e:
        raise InvalidFeedback(f"feedback does not fit the engagement schema: {e}") from e
    return event.key.encode(), event.model_dump_json().encode()


class LazySink:
    """Opens the real producer on first use, so the service starts even while the broker is down."""

    def __init__(self, open_sink: Callable[[], object]) -> None:
        self._open = open_sink
        self._sink: object | None = None

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        if self._sink is None:
            self._sink = self._open()
        self._sink.send(topic, key, value)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()  # type: ignore[attr-defined]
