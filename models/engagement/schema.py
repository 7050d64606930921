"""The engagement event: what search feedback looks like on the wire and on Kafka ``engagement.v1``.

The same JSON object is written by ``POST /v1/feedback`` and by the simulator, and read by the
engagement teacher. ``position`` is the 0-based index of the item in the list the searcher saw;
``ts`` is Unix seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from semstream.schemas import EntityKind

ENGAGEMENT_TOPIC = "engagement.v1"

Action = Literal["impression", "click", "apply", "dismiss", "profile_view", "connect", "message"]

# Which actions each vertical records; "impression" is logged for every item shown.
ACTIONS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.JOB: ("impression", "click", "apply", "dismiss"),
    EntityKind.PROFILE: ("impression", "profile_view", "connect", "message"),
}


class EngagementEvent(BaseModel):
    """One thing a searcher did (or was shown) for one item of one search."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    kind: EntityKind
    query_text: str = Field(min_length=1, max_length=2000)
    searcher_id: str = Field(min_length=1, max_length=256)
    item_id: str = Field(min_length=1, max_length=256)
    position: int = Field(ge=0, le=10_000, description="0-based rank of the item in the shown list.")
    action: Action
    ts: float = Field(ge=0, description="Unix seconds.")

    @model_validator(mode="after")
    def _action_fits_kind(self) -> EngagementEvent:
        if self.action not in ACTIONS[self.kind]:
            raise ValueError(f"action {self.action!r} is not a {self.kind.value} action; expected one of {ACTIONS[self.kind]}")
        return self

    @property
    def key(self) -> str:
        """The Kafka message key: events of one searcher stay in order on one partition."""
        return self.searcher_id
