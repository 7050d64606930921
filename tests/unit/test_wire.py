"""Wire validation: limits hold, and every 4xx message names the offending field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from semstream.deployments.http import _validation_body
from semstream.deployments.wire import (
    MAX_K, MAX_QUERY_CHARS, FeedbackRequest, JobSearchRequest, PeopleSearchRequest,
)


def _error_fields(model: type, body: dict) -> tuple[list[str], str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    err = _validation_body(info.value.errors())
    return err.fields, err.message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "x" * (MAX_QUERY_CHARS + 1)}, "query"),
        ({"query": "   "}, "query"),
        ({}, "query"),
        ({"query": "python", "k": MAX_K + 1}, "k"),
        ({"query": "python", "k": 0}, "k"),
        ({"query": "python", "depth": 1001}, "depth"),
        ({"query": "python", "filters": {"remote": "sometimes"}}, "filters.remote"),
        ({"query": "python", "filters": {"open_to_work": True}}, "filters.open_to_work"),
        ({"query": "python", "searcher": {"id": "u1", "password": "x"}}, "searcher.password"),
        ({"query": "python", "colour": "blue"}, "colour"),
        ({"query": "python", "disabled_facets": ["x"] * 51}, "disabled_facets"),
    ],
)
def test_job_search_errors_name_the_field(body: dict, field: str) -> None:
    fields, message = _error_fields(JobSearchRequest, body)
    assert fields == [field]
    assert message.startswith(f"{field}: ")


def test_people_filters_differ_from_job_filters() -> None:
    fields, _ = _error_fields(PeopleSearchRequest, {"query": "nurse", "filters": {"remote": "remote"}})
    assert fields == ["filters.remote"]
    ok = PeopleSearchRequest.model_validate({"query": "nurse", "filters": {"open_to_work": True, "skills": ["care"]}})
    assert ok.explicit_filters() == {"open_to_work": True, "skills": ["care"]}


def test_valid_request_keeps_limits_and_defaults() -> None:
    req = JobSearchRequest.model_validate({"query": "  python  ", "k": MAX_K, "depth": 1000})
    assert (req.query, req.k, req.depth, req.disabled_facets) == ("python", MAX_K, 1000, [])
    assert req.explicit_filters() == {}


@pytest.mark.parametrize(("vertical", "action"), [("people", "apply"), ("jobs", "connect")])
def test_feedback_action_must_fit_vertical(vertical: str, action: str) -> None:
    body = {"vertical": vertical, "action": action, "query": "q", "item_id": "i", "position": 1}
    fields, message = _error_fields(FeedbackRequest, body)
    assert fields == ["action"]
    assert message.startswith(f"action: '{action}' is not a {vertical} action")


def test_feedback_position_is_zero_based() -> None:
    body = {"vertical": "jobs", "action": "click", "query": "q", "item_id": "i", "position": -1}
    assert _error_fields(FeedbackRequest, body)[0] == ["position"]
    assert FeedbackRequest.model_validate({**body, "position": 0}).position == 0


def test_a_click_on_a_person_is_a_profile_view() -> None:
    body = {"vertical": "people", "action": "click", "query": "q", "item_id": "p", "position": 0}
    assert FeedbackRequest.model_validate(body).event_action() == "profile_view"
    assert FeedbackRequest.model_validate({**body, "vertical": "jobs"}).event_action() == "click"


def test_malformed_json_is_a_422_not_a_500() -> None:
    from fastapi import FastAPI

    from semstream.deployments.http import _add_error_handlers

    api = FastAPI()
    _add_error_handlers(api)

    @api.post("/echo")
    async def echo(body: JobSearchRequest) -> dict:
        return {"query": body.query}

    client = TestClient(api)
    response = client.post("/echo", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert client.post("/echo", json={"query": "ok"}).json() == {"query": "ok"}


@pytest.mark.parametrize("raw", ['{"query": "x", "k": true}', '{"query": "x", "k": "5"}', '{"query": "x", "k": 2.5}',
                                 '{"query": "x", "filters": {"open_to_work": "yes"}}', '{"query": 5}'])
def test_json_types_are_taken_as_the_schema_says(raw: str) -> None:
    with pytest.raises(ValidationError):
        PeopleSearchRequest.model_validate_json(raw)


def test_whole_numbers_written_as_floats_are_integers() -> None:
    body = JobSearchRequest.model_validate_json('{"query": " python ", "k": 5.0, "filters": {"posted_within_days": 7.0}}')
    assert (body.query, body.k, body.filters.posted_within_days) == ("python", 5, 7)
    assert type(body.k) is int


def test_the_schema_tells_clients_that_blank_text_is_refused() -> None:
    prop = JobSearchRequest.model_json_schema()["properties"]["query"]
    assert prop["pattern"] == r"\S" and prop["minLength"] == 1
