"""FastAPI routes of the ingress. They hold no logic: each one hands over to ``SearchService``.

Client errors are 4xx whose message names the field; a stage that cannot answer is a 503.
``EdgeMiddleware`` (request id, rate and body limits) runs in front of every route; admin routes
need the API key when one is configured (see ``security.py`` for which routes are which).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from semstream.errors import SemstreamError

from semstream.deployments.edge import EdgeMiddleware
from semstream.deployments.search import SearchService
from semstream.deployments.security import ApiKeyGuard, AuthError, EdgePolicy
from semstream.deployments.wire import (
    ErrorBody, FeedbackAck, FeedbackRequest, JobSearchRequest, PeopleSearchRequest, SearchResponse,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"


_LIMITS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Body that cannot be read (e.g. not UTF-8)."},
    413: {"model": ErrorBody, "description": "Body over SEMSTREAM_MAX_BODY_BYTES."},
    429: {"model": ErrorBody, "description": "Client over its rate limit; see Retry-After."},
}
_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "API key missing (only when SEMSTREAM_API_KEY is set)."},
    403: {"model": ErrorBody, "description": "API key not valid."},
}


def create_api(service: SearchService, static_dir: Path = STATIC_DIR, policy: EdgePolicy | None = None) -> FastAPI:
    policy = policy or EdgePolicy()
    api = FastAPI(title="semstream", version="0.1.0",
                  description="Semantic search for jobs and people: understanding -> retrieval -> SLM ranking.")
    api.add_middleware(EdgeMiddleware, policy=policy)
    _add_error_handlers(api)
    _add_search_routes(api, service)
    _add_ops_routes(api, service, ApiKeyGuard(policy.api_key))
    _add_page(api, static_dir)
    return api


def _add_search_routes(api: FastAPI, service: SearchService) -> None:
    errors: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody}, 503: {"model": ErrorBody}, **_LIMITS}

    @api.post("/v1/search/jobs", response_model=SearchResponse, responses=errors, tags=["search"])
    async def search_jobs(body: JobSearchRequest) -> SearchResponse:
        return await service.search("jobs", body)

    @api.post("/v1/search/people", response_model=SearchResponse, responses=errors, tags=["search"])
    async def search_people(body: PeopleSearchRequest) -> SearchResponse:
        return await service.search("people", body)

    @api.post("/v1/feedback", response_model=FeedbackAck, status_code=202, responses=errors, tags=["feedback"])
    async def feedback(body: FeedbackRequest) -> FeedbackAck:
        return await service.feedback(body)


def _key_dependency(guard: ApiKeyGuard) -> Any:
    """Checks the key; the two security schemes only document the headers in OpenAPI."""
    bearer, header = HTTPBearer(auto_error=False), APIKeyHeader(name="X-API-Key", auto_error=False)

    async def require_key(request: Request, _b: Any = Security(bearer), _k: Any = Security(header)) -> None:
        guard.check(request.headers)

    return Depends(require_key)


def _add_ops_routes(api: FastAPI, service: SearchService, guard: ApiKeyGuard) -> None:
    @api.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", tags=["ops"], responses={503: {"description": "A stage is not ready; see stages."}})
    async def readyz() -> JSONResponse:
        stages = await service.ready()
        ok = all(s.get("ok") for s in stages.values())
        return JSONResponse({"ready": ok, "stages": stages}, status_code=200 if ok else 503)

    @api.get("/v1/stats", tags=["admin"], dependencies=[_key_dependency(guard)], responses={**_AUTH, **_LIMITS})
    async def stats() -> dict[str, Any]:
        return await service.stats()


def _add_page(api: FastAPI, static_dir: Path) -> None:
    api.mount("/static", StaticFiles(directory=static_dir), name="static")

    @api.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(static_dir / "index.html")


def _add_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_body(exc.errors()).model_dump(), status_code=422)

    @api.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        """Framework refusals (unreadable body, unknown path, wrong method) in the same error shape."""
        body = ErrorBody(error=_STATUS_ERROR.get(exc.status_code, "http_error"), message=str(exc.detail))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(AuthError)
    async def refused(_: Request, exc: AuthError) -> JSONResponse:
        body = ErrorBody(error="unauthorized" if exc.status == 401 else "forbidden", message=exc.message)
        return JSONResponse(body.model_dump(), status_code=exc.status, headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(SemstreamError)
    async def unavailable(_: Request, exc: SemstreamError) -> JSONResponse:
        body = ErrorBody(error="unavailable", message=str(exc))
        return JSONResponse(body.model_dump(), status_code=503)


_STATUS_ERROR = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


def _validation_body(errors: list[dict[str, Any]]) -> ErrorBody:
    """One message naming every bad field, e.g. 'k: Input should be less than or equal to 100'."""
    fields, parts = [], []
    for err in errors:
        field = _field_name(err)
        fields.append(field)
        msg = _clean(str(err.get("msg", "invalid")))
        parts.append(msg if msg.startswith(f"{field}:") else f"{field}: {msg}")
    return ErrorBody(error="invalid_request", message="; ".join(parts), fields=fields)


def _field_name(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    if err.get("type") == "extra_forbidden":
        return ".".join(loc) or "body"
    msg = str(err.get("msg", ""))
    if not loc and ":" in msg:  # a model-level check names its field at the start of the message
        return msg.split("Value error, ", 1)[-1].split(":", 1)[0]
    return ".".join(loc) or "body"


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ")
