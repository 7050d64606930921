"""Edge protection of the HTTP API: the API key check, per-client rate limits, the edge policy.

Which routes need what (``EdgePolicy.route_class``):

* **admin** (``/v1/stats``, ``/v1/admin/*``): the API key when one is configured, rate-limited;
* **api** (``/v1/search/*``, ``/v1/feedback``): open, rate-limited per client. Feedback stays open
  because the search page sends it from the browser, and a key the page holds is public;
  the rate limit and the body limit bound what an anonymous client can write;
* **open** (``/``, ``/static``, ``/healthz``, ``/readyz``, ``/docs``, ``/openapi.json``): no limit,
  so health probes never get a 429.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from semstream.config import Settings

RouteClass = Literal["admin", "api", "open"]
ADMIN_PATHS = ("/v1/stats", "/v1/admin/")


class AuthError(Exception):
    """The request lacks the API key (401) or carries a wrong one (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ApiKeyGuard:
    """Compares the presented key with the configured one in constant time; no key configured = open."""

    def __init__(self, key: SecretStr | None) -> None:
        self._digest = _digest(key.get_secret_value()) if key is not None and key.get_secret_value() else None

    @property
    def enabled(self) -> bool:
        return self._digest is not None

    def check(self, headers: Mapping[str, str]) -> None:
        """Raises ``AuthError``; reads ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
        if self._digest is None:
            return
        presented = _presented_key(headers)
        if presented is None:
            raise AuthError(401, "this endpoint needs the API key: send 'Authorization: Bearer <key>' or 'X-API-Key'")
        if not hmac.compare_digest(_digest(presented), self._digest):
            raise AuthError(403, "the API key sent is not valid for this service")


def _digest(key: str) -> bytes:
    """Fixed-length digests, so the comparison takes the same time whatever the presented length."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def _presented_key(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.casefold() == "bearer" and token.strip():
        return token.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


class TokenBucketLimiter:
    """Per-client token buckets: ``rate`` tokens/s up to ``burst``; at most ``max_clients`` tracked (LRU)."""

    def __init__(self, rate: float, burst: int, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, updated)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, client: str) -> float:
        """0 when the request may go on, else the seconds until the client's next token."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)  # the least recently seen client starts afresh
            return wait


def retry_after(wait_s: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


@dataclass(frozen=True)
class EdgePolicy:
    """Settings of the HTTP edge (key, body and rate limits), defaults as in ``Settings``."""

    api_key: SecretStr | None = None
    max_body_bytes: int = 65_536
    rate_limit_rps: float = 20.0
    rate_limit_burst: int = 40
    trust_forwarded: bool = False
    echo_request_id: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, echo_request_id: bool = True) -> EdgePolicy:
        return cls(settings.api_key, settings.max_body_bytes, settings.rate_limit_rps, settings.rate_limit_burst,
                   settings.rate_limit_trust_forwarded, echo_request_id)

    def __repr__(self) -> str:  # the key stays a SecretStr, but say so plainly
        return (f"EdgePolicy(api_key={'set' if self.api_key else 'unset'}, max_body_bytes={self.max_body_bytes}, "
                f"rate_limit_rps={self.rate_limit_rps}, rate_limit_burst={self.rate_limit_burst})")


def route_class(path: str) -> RouteClass:
    if path == ADMIN_PATHS[0] or path.startswith(ADMIN_PATHS[1]):
        return "admin"
    if path.startswith("/v1/"):
        return "api"
    return "open"


def client_id(client: tuple[str, int] | None, headers: Mapping[str, str], trust_forwarded: bool) -> str:
    """The address the rate limit counts by: the peer, or the first X-Forwarded-For hop when trusted."""
    if trust_forwarded:
        first = headers.get("x-forwarded-for", "").split(",")[0].strip()
        if first:
            return first[:64]
    return client[0] if client else "unknown"
