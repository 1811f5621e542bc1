"""The ASGI application: routes under /api/v1, the error table, body limits, OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from leadblock import __version__
from leadblock.api.access_log import API_PREFIX, AccessLogMiddleware
from leadblock.api.errors import install_error_handlers
from leadblock.api.limits import BodyLimitMiddleware
from leadblock.api.ratelimit import RateLimitMiddleware
from leadblock.api.responses import OrjsonResponse
from leadblock.api.routes import blocked_leads, campaigns, reference
from leadblock.api.schemas import ErrorResponse
from leadblock.config import Settings
from leadblock.console import web as console
from leadblock.storage.db import Database

_ERROR = {"model": ErrorResponse}
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {**_ERROR, "description": "Malformed JSON or invalid input; nothing was written"},
    401: {**_ERROR, "description": "Missing, unknown or revoked API key"},
    403: {**_ERROR, "description": "Read-only API key used for a write"},
    404: {**_ERROR, "description": "No such record in this workspace"},
    408: {**_ERROR, "description": "The request body did not arrive in time"},
    413: {**_ERROR, "description": "Request body too large"},
    429: {**_ERROR, "description": "Rate limit of the API key exceeded; see Retry-After"},
    503: {**_ERROR, "description": "Database unavailable, busy or full; nothing was written"},
}

DESCRIPTION = """\
The workspace "do not contact" list for LinkedIn outreach, wire-compatible with WaLead's
blocked-leads API. Send your key in the `x-api-key` header. Every identifier may be a bare
public identifier or a LinkedIn profile URL; answers carry the canonical identifier.
Errors are always `{"success": false, "message", "errors"?}`.
"""


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="leadblock",
        version=__version__,
        description=DESCRIPTION,
        default_response_class=OrjsonResponse,
    )
    app.state.settings = settings
    app.state.database = database or Database(settings)
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    api.include_router(blocked_leads.router)
    api.include_router(campaigns.router)
    app.include_router(api)
    if settings.reference_routes:
        app.include_router(reference.router)
    console.install(app)
    install_error_handlers(app)
    app.openapi = lambda: _openapi_without_422(app)  # type: ignore[method-assign]
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        body_timeout_s=settings.body_timeout_s,
        import_paths=frozenset({f"{API_PREFIX}/blocked-leads/import", console.IMPORT_PATH}),
        json_prefix=API_PREFIX,
    )
    # Outermost last: the access log sees every request, then rate limiting refuses a flood
    # before anything else runs.
    app.add_middleware(RateLimitMiddleware, limit=settings.rate_limit, redis_url=settings.redis_url)
    app.add_middleware(console.ConsoleHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
    return app


def _openapi_without_422(app: FastAPI) -> dict[str, Any]:
    """FastAPI documents validation failures as 422; leadblock answers them 400 (the envelope)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in schema["paths"].values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema
