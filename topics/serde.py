"""Event wire format: key = entity id (UTF-8), value = compact JSON; strict, explained decoding."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from semstream.errors import InvalidEvent
from semstream.schemas import EVENT_MODELS, EntityEvent, EntityKind

_MAX_ERRORS_SHOWN = 3


def encode_event(event: EntityEvent) -> tuple[bytes, bytes]:
    """``(key, value)`` for Kafka: the id as UTF-8 and the event as compact JSON (None fields dropped)."""
    payload = event.model_dump(mode="json", exclude_none=True)
    value = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return event.id.encode("utf-8"), value


def decode_event(
    kind: EntityKind, key: bytes | None, value: bytes | None, *, max_text_chars: int
) -> EntityEvent:
    """Parse and validate one record; raises :class:`InvalidEvent` with a short, specific reason."""
    try:
        data = _json_object(value)
        _check_id(data)
        _check_text_size(data, max_text_chars)
        event = _validate(kind, data)
    except RecursionError as e:
        raise InvalidEvent("value is nested too deeply") from e
    _check_key(key, event.id)
    return event


def _json_object(value: bytes | None) -> dict[str, Any]:
    if value is None:
        raise InvalidEvent("value is empty (null record)")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEvent(f"value is not UTF-8 (bad byte at position {e.start})") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidEvent(f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from e
    except ValueError as e:  # e.g. an integer literal longer than Python converts
        raise InvalidEvent(f"malformed JSON: {str(e)[:200]}") from e
    if not isinstance(data, dict):
        raise InvalidEvent(f"value is a JSON {_json_type(data)}, not an object")
    return data


def _json_type(data: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(data), type(data).__name__)


def _check_id(data: dict[str, Any]) -> None:
    if "id" not in data or data["id"] is None:
        raise InvalidEvent("missing id")
    if isinstance(data["id"], str) and not data["id"].strip():
        raise InvalidEvent("empty id")


def _check_text_size(data: dict[str, Any], limit: int) -> None:
    total = 0
    for field, size in _string_sizes(data):
        if size > limit:
            raise InvalidEvent(f"field '{field}' has {size} characters, over the limit of {limit}")
        total += size
    if total > limit:
        raise InvalidEvent(f"text fields total {total} characters, over the limit of {limit}")


def _string_sizes(value: Any, path: str = "") -> list[tuple[str, int]]:
    """(dotted field path, length) of every string inside ``value``, nested ones included."""
    if isinstance(value, str):
        return [(path, len(value))]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _string_sizes(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _string_sizes(v, f"{path}[{i}]")]
    return []


def _validate(kind: EntityKind, data: dict[str, Any]) -> EntityEvent:
    try:
        return EVENT_MODELS[EntityKind(kind)].model_validate(data)
    except ValidationError as e:
        raise InvalidEvent(_explain(e, data)) from e


def _explain(error: ValidationError, data: dict[str, Any]) -> str:
    problems = []
    for err in error.errors()[:_MAX_ERRORS_SHOWN]:
        field = ".".join(str(p) for p in err["loc"]) or "event"
        if field == "op" and err["type"] == "enum":
            problems.append(f"unknown op {data.get('op')!r} (expected 'upsert' or 'delete')")
        elif err["type"] == "missing":
            problems.append(f"missing field '{field}'")
        else:
            problems.append(f"field '{field}': {err['msg']}")
    more = error.error_count() - _MAX_ERRORS_SHOWN
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def _check_key(key: bytes | None, event_id: str) -> None:
    if key is None:
        return
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEvent(f"key is not UTF-8 (bad byte at position {e.start})") from e
    if text.strip() != event_id:
        raise InvalidEvent(f"key {text[:80]!r} does not match id {event_id[:80]!r}")
