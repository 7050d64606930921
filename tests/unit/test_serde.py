"""Event wire format: round trip, unknown fields kept, and one specific reason per kind of bad input."""

from __future__ import annotations

import json

import pytest

from semstream.errors import InvalidEvent
from semstream.schemas import EntityKind, JobEvent, Op, ProfileEvent
from semstream.topics.serde import decode_event, encode_event

LIMIT = 1_000


def _value(**fields: object) -> bytes:
    return json.dumps({"op": "upsert", "id": "job-1", "version": 3, **fields}).encode()


def _reason(value: bytes | None, key: bytes | None = None, kind: EntityKind = EntityKind.JOB) -> str:
    with pytest.raises(InvalidEvent) as info:
        decode_event(kind, key, value, max_text_chars=LIMIT)
    return str(info.value)


def test_round_trip_keeps_fields_and_uses_id_as_key() -> None:
    event = JobEvent(op=Op.UPSERT, id="job-1", version=3, title="Data Engineer", skills=["SQL", "Python"])
    key, value = encode_event(event)
    assert key == b"job-1"
    assert b" " not in value.replace(b"Data Engineer", b"")  # compact JSON
    decoded = decode_event(EntityKind.JOB, key, value, max_text_chars=LIMIT)
    assert decoded == event


def test_unknown_fields_are_kept_through_decode_and_encode() -> None:
    decoded = decode_event(EntityKind.PROFILE, None, _value(team={"size": 4}, badge="gold"), max_text_chars=LIMIT)
    assert isinstance(decoded, ProfileEvent)
    assert decoded.fields()["team"] == {"size": 4} and decoded.fields()["badge"] == "gold"
    assert json.loads(encode_event(decoded)[1])["badge"] == "gold"


def test_delete_needs_only_the_envelope() -> None:
    event = decode_event(EntityKind.JOB, b"job-1", b'{"op":"delete","id":"job-1","version":9}', max_text_chars=LIMIT)
    assert event.op is Op.DELETE and event.version == 9


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"op": "upsert", "id": ', "malformed JSON"),
        (b'["op", "upsert"]', "JSON array, not an object"),
        (b'"just a string"', "JSON string, not an object"),
        (None, "value is empty"),
        (b'{"op": "upsert", "version": 1}', "missing id"),
        (b'{"op": "upsert", "id": "  ", "version": 1}', "empty id"),
        (b'{"op": "upsert", "id": null, "version": 1}', "missing id"),
        (b'{"op": "merge", "id": "a", "version": 1}', "unknown op 'merge'"),
        (b'{"id": "a", "version": 1}', "missing field 'op'"),
        (b'{"op": "upsert", "id": "a"}', "missing field 'version'"),
    ],
)
def test_bad_input_reasons(value: bytes | None, expected: str) -> None:
    assert expected in _reason(value)


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"version": "three"}, "version"),
        ({"skills": "python"}, "skills"),
        ({"remote": "sometimes"}, "remote"),
        ({"posted_at": "yesterday-ish"}, "posted_at"),
        ({"version": -1}, "version"),
    ],
)
def test_wrong_types_name_the_field(fields: dict[str, object], field_name: str) -> None:
    assert f"field '{field_name}'" in _reason(_value(**fields))


def test_id_of_wrong_type_names_the_field() -> None:
    assert "field 'id'" in _reason(b'{"op": "upsert", "id": 42, "version": 1}')


def test_profile_years_out_of_range() -> None:
    assert "field 'years_experience'" in _reason(_value(years_experience=200), kind=EntityKind.PROFILE)


def test_oversized_single_field_is_named() -> None:
    assert "field 'description' has 1001 characters" in _reason(_value(description="x" * (LIMIT + 1)))


def test_oversized_nested_unknown_field_is_named() -> None:
    assert "field 'extra.notes[1]'" in _reason(_value(extra={"notes": ["ok", "y" * (LIMIT + 5)]}))


def test_oversized_total_is_reported() -> None:
    reason = _reason(_value(title="t" * 600, description="d" * 600))
    assert "total" in reason and "over the limit of 1000" in reason


def test_text_at_the_limit_is_accepted() -> None:
    value = json.dumps({"op": "upsert", "id": "j", "version": 1, "description": "d" * (LIMIT - 7)}).encode()
    assert decode_event(EntityKind.JOB, None, value, max_text_chars=LIMIT).description is not None


def test_key_must_match_id() -> None:
    assert "key 'job-2' does not match id 'job-1'" in _reason(_value(), key=b"job-2")


def test_key_not_utf8() -> None:
    assert "key is not UTF-8" in _reason(_value(), key=b"\xff")


def test_missing_key_is_allowed() -> None:
    assert decode_event(EntityKind.JOB, None, _value(), max_text_chars=LIMIT).id == "job-1"


def test_invalid_event_is_a_semstream_error() -> None:
    from semstream.errors import SemstreamError

    assert issubclass(InvalidEvent, SemstreamError)
