"""The ASGI middleware in front of the routes: request id, rate limit, body-size limit, access log.

Order per request: take or make the request id -> refuse over-rate clients (429 + Retry-After)
-> refuse bodies over the limit (413, by ``Content-Length`` before reading, else while reading)
-> the routes, which see the body already read. One JSON access-log line per request; no
header (so no key or token) is ever logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semstream.deployments.logs import clean_request_id, request_id_var
from semstream.deployments.security import EdgePolicy, TokenBucketLimiter, client_id, retry_after, route_class
from semstream.deployments.wire import ErrorBody

log = logging.getLogger("semstream.deployments.access")
REQUEST_ID_HEADER = "x-request-id"


class _TooLarge(Exception):
    pass


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, policy: EdgePolicy, limiter: TokenBucketLimiter | None = None) -> None:
        self.app = app
        self.policy = policy
        self.limiter = limiter or TokenBucketLimiter(policy.rate_limit_rps, policy.rate_limit_burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = clean_request_id(headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        status = {"code": 500}
        started = time.perf_counter()
        try:
            await self._handle(scope, receive, self._wrap_send(send, rid, status), headers)
        finally:
            _access_log(scope, status["code"], started)
            request_id_var.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        if route_class(scope["path"]) != "open":
            wait = self.limiter.acquire(client_id(scope.get("client"), headers, self.policy.trust_forwarded))
            if wait > 0:
                await _refuse(scope, receive, send, 429, self._rate_message(wait), {"Retry-After": retry_after(wait)})
                return
        limit = self.policy.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(scope, receive, send, 413, _size_message(limit, declared))
            return
        try:
            receive = await _buffered(receive, limit)
        except _TooLarge:
            await _refuse(scope, receive, send, 413, _size_message(limit, None))
            return
        await self.app(scope, receive, send)

    def _wrap_send(self, send: Send, rid: str, status: dict[str, int]) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if self.policy.echo_request_id:
                    MutableHeaders(scope=message)["X-Request-Id"] = rid
            await send(message)

        return wrapped

    def _rate_message(self, wait: float) -> str:
        return (f"too many requests from this client (limit {self.policy.rate_limit_rps:g}/s, burst "
                f"{self.policy.rate_limit_burst}); retry in {retry_after(wait)} s")


async def _buffered(receive: Receive, limit: int) -> Receive:
    """Reads the whole body (at most ``limit`` bytes) and returns a ``receive`` that replays it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            pending: list[Message] = [message]
            break
        size += len(message.get("body", b""))
        if size > limit:
            raise _TooLarge()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
            break

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str,
                  headers: dict[str, str] | None = None) -> None:
    error = {413: "body_too_large", 429: "rate_limited"}[status]
    response = JSONResponse(ErrorBody(error=error, message=message).model_dump(), status_code=status, headers=headers)
    await response(scope, receive, send)


def _size_message(limit: int, declared: str | None) -> str:
    if declared is not None and not declared.isdigit():
        return "Content-Length is not a whole number of bytes"
    sent = f" (got {declared})" if declared is not None else ""
    return f"request body is larger than the limit of {limit} bytes{sent}"


def _access_log(scope: Scope, status: int, started: float) -> None:
    fields: dict[str, Any] = {"method": scope.get("method"), "path": str(scope.get("path"))[:200],
                              "status": status, "ms": round((time.perf_counter() - started) * 1000, 2)}
    log.info("request", extra=fields)
