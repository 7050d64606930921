"""The HTTP edge: API key on admin routes, body-size and rate limits, request ids, logs without secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from serving_twins import Stack, make_stack

from semstream.config import load_settings
from semstream.deployments import security
from semstream.deployments.logs import configure_logging
from semstream.deployments.security import ApiKeyGuard, AuthError, EdgePolicy, TokenBucketLimiter, route_class

KEY = "k3y-0f-the-service-5e1f9a"
SASL_PASSWORD = "sasl-pa55word-77c0"
SEARCH = {"query": "python developer", "k": 2}
FEEDBACK = {"vertical": "jobs", "action": "click", "query": "python", "item_id": "j1", "position": 0}


@pytest.fixture
def keyed() -> Stack:
    return make_stack(policy=EdgePolicy(api_key=SecretStr(KEY)))


# --- API key ---------------------------------------------------------------------------------------

def test_without_a_configured_key_admin_routes_are_open() -> None:
    assert make_stack().client.get("/v1/stats").status_code == 200


def test_admin_route_without_a_key_is_a_401_that_says_how(keyed: Stack) -> None:
    response = keyed.client.get("/v1/stats")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["error"] == "unauthorized" and "Authorization: Bearer" in body["message"]


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer wrong-key"}, {"X-API-Key": "wrong-key"},
                                     {"Authorization": f"Bearer {KEY}x"}])
def test_a_wrong_key_is_a_403_that_does_not_echo_it(keyed: Stack, headers: dict[str, str]) -> None:
    response = keyed.client.get("/v1/stats", headers=headers)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert "wrong-key" not in response.text and KEY not in response.text


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"},
                                     {"X-API-Key": KEY}])
def test_the_right_key_opens_admin_routes(keyed: Stack, headers: dict[str, str]) -> None:
    response = keyed.client.get("/v1/stats", headers=headers)
    assert response.status_code == 200 and "depth" in response.json()


def test_a_key_in_another_scheme_is_not_accepted(keyed: Stack) -> None:
    assert keyed.client.get("/v1/stats", headers={"Authorization": f"Basic {KEY}"}).status_code == 401


def test_search_feedback_page_and_probes_stay_open_with_a_key(keyed: Stack) -> None:
    assert keyed.client.post("/v1/search/jobs", json=SEARCH).status_code == 200
    assert keyed.client.post("/v1/feedback", json=FEEDBACK).status_code == 202
    for path in ("/", "/healthz", "/readyz", "/openapi.json"):
        assert keyed.client.get(path).status_code == 200, path


def test_the_key_is_compared_in_constant_time_on_fixed_length_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    real = security.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    guard = ApiKeyGuard(SecretStr(KEY))
    guard.check({"x-api-key": KEY})
    with pytest.raises(AuthError):
        guard.check({"x-api-key": "short"})
    assert seen == [(32, 32), (32, 32)]


def test_openapi_documents_the_key_schemes_on_admin_routes(keyed: Stack) -> None:
    spec = keyed.client.get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    stats = spec["paths"]["/v1/stats"]["get"]
    assert {"401", "403", "429"} <= set(stats["responses"]) and stats["security"]
    assert "security" not in spec["paths"]["/v1/search/jobs"]["post"]


def test_route_classes() -> None:
    assert [route_class(p) for p in ("/v1/stats", "/v1/admin/cache", "/v1/search/jobs", "/v1/feedback",
                                     "/healthz", "/", "/static/app.js", "/v1/statsx")] == \
        ["admin", "admin", "api", "api", "open", "open", "open", "api"]


# --- body size -------------------------------------------------------------------------------------

def test_a_declared_body_over_the_limit_is_a_413_before_parsing() -> None:
    stack = make_stack(policy=EdgePolicy(max_body_bytes=2048))
    body = {**FEEDBACK, "query": "x" * 400, "item_id": "y" * 150, "searcher_id": "z" * 150}
    padded = json.dumps(body) + " " * 3000  # valid JSON, too big
    response = stack.client.post("/v1/feedback", content=padded, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"
    assert "2048 bytes" in response.json()["message"]
    assert stack.sink.records == []


def test_a_streamed_body_over_the_limit_is_a_413_while_reading() -> None:
    stack = make_stack(policy=EdgePolicy(max_body_bytes=2048))

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"query": "python", "k": 2, "disabled_facets": ['
        for _ in range(200):
            yield b'"remote", '
        yield b'"remote"]}'

    response = stack.client.post("/v1/search/jobs", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert stack.ranker.calls == 0


def test_a_streamed_body_under_the_limit_is_read_whole() -> None:
    stack = make_stack(policy=EdgePolicy(max_body_bytes=2048))

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "python ' 
        yield b'developer", "k": 2}'

    response = stack.client.post("/v1/search/jobs", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["query"] == "python developer"


# --- rate limit ------------------------------------------------------------------------------------

def test_a_client_over_its_rate_gets_429_with_retry_after() -> None:
    stack = make_stack(policy=EdgePolicy(rate_limit_rps=0.5, rate_limit_burst=3))
    codes = [stack.client.post("/v1/search/jobs", json=SEARCH).status_code for _ in range(3)]
    refused = stack.client.post("/v1/search/jobs", json=SEARCH)
    assert codes == [200, 200, 200] and refused.status_code == 429
    assert refused.headers["retry-after"] == "2"  # one token every 2 s
    assert refused.json()["error"] == "rate_limited" and "0.5/s" in refused.json()["message"]
    assert stack.client.get("/v1/stats").status_code == 429  # admin routes count too (key guessing)
    assert all(stack.client.get("/healthz").status_code == 200 for _ in range(10))  # probes never limited


def test_forwarded_clients_count_separately_only_when_trusted() -> None:
    trusted = make_stack(policy=EdgePolicy(rate_limit_rps=0.1, rate_limit_burst=1, trust_forwarded=True))
    codes = [trusted.client.post("/v1/search/jobs", json=SEARCH, headers={"X-Forwarded-For": f"10.0.0.{i}"}
                                 ).status_code for i in range(3)]
    assert codes == [200, 200, 200]
    untrusted = make_stack(policy=EdgePolicy(rate_limit_rps=0.1, rate_limit_burst=1))
    codes = [untrusted.client.post("/v1/search/jobs", json=SEARCH, headers={"X-Forwarded-For": f"10.0.0.{i}"}
                                   ).status_code for i in range(3)]
    assert codes == [200, 429, 429]


def test_zero_rate_turns_the_limit_off() -> None:
    stack = make_stack(policy=EdgePolicy(rate_limit_rps=0, rate_limit_burst=1))
    assert all(stack.client.get("/v1/stats").status_code == 200 for _ in range(20))


def test_token_bucket_refills_at_the_rate_and_forgets_old_clients() -> None:
    now = [100.0]
    limiter = TokenBucketLimiter(rate=2.0, burst=2, max_clients=2, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.acquire("a") == 0.0 and limiter.acquire("a") > 0
    limiter.acquire("b")
    limiter.acquire("c")  # "a" is the least recent of three: dropped, so it starts with a full bucket
    assert limiter.acquire("a") == 0.0


# --- request ids and logs --------------------------------------------------------------------------

def test_the_request_id_is_taken_echoed_and_in_every_stage_log_line(caplog: pytest.LogCaptureFixture) -> None:
    stack = make_stack()
    with caplog.at_level(logging.INFO, logger="semstream"):
        response = stack.client.post("/v1/search/jobs", json=SEARCH, headers={"X-Request-Id": "req-42.a"})
    assert response.headers["x-request-id"] == "req-42.a"
    mine = [r for r in caplog.records if getattr(r, "request_id", None) == "req-42.a"]
    assert {getattr(r, "stage", None) for r in mine} >= {"understand", "retrieve", "rank", "ingress"}
    access = [r for r in caplog.records if r.name == "semstream.deployments.access"]
    assert [(r.path, r.status) for r in access] == [("/v1/search/jobs", 200)]


def test_a_missing_or_unsafe_request_id_is_replaced() -> None:
    stack = make_stack()
    made = stack.client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0
    for bad in ("has space", "x" * 129, "semi;colon"):
        echoed = stack.client.get("/healthz", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert echoed != bad and len(echoed) == 32


def test_log_lines_are_json_with_the_request_id() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        make_stack().client.post("/v1/search/jobs", json=SEARCH, headers={"X-Request-Id": "json-1"})
    finally:
        _drop_json_handlers()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    stages = {line.get("stage") for line in lines if line["request_id"] == "json-1"}
    assert {"understand", "retrieve", "rank", "ingress"} <= stages
    rank = next(line for line in lines if line.get("stage") == "rank")
    assert rank["level"] == "INFO" and rank["ms"] >= 0 and rank["depth"] == 5


def test_no_secret_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(api_key=KEY, kafka_sasl_mechanism="PLAIN", kafka_sasl_username="svc",
                             kafka_sasl_password=SASL_PASSWORD)
    policy = EdgePolicy.from_settings(settings)
    stack = make_stack(policy=policy)
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    try:
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("semstream.deployments").info("starting with %s and %r", settings, policy,
                                                            extra={"settings": settings})
            stack.client.get("/v1/stats", headers={"Authorization": f"Bearer {KEY}"})
            stack.client.get("/v1/stats", headers={"X-API-Key": SASL_PASSWORD})  # a wrong key, also secret
            stack.client.post("/v1/search/jobs", json=SEARCH, headers={"X-API-Key": KEY})
            stack.client.post("/v1/feedback", json=FEEDBACK, headers={"Authorization": f"Bearer {KEY}"})
    finally:
        _drop_json_handlers()
    text = caplog.text + stream.getvalue() + "".join(str(vars(r)) for r in caplog.records)
    assert "/v1/stats" in stream.getvalue() and len(caplog.records) >= 8  # the logs did capture the requests
    assert KEY not in text and SASL_PASSWORD not in text


def _drop_json_handlers() -> None:
    logger = logging.getLogger("semstream")
    for handler in [h for h in logger.handlers if getattr(h, "_semstream_json", False)]:
        logger.removeHandler(handler)
