"""The OpenAPI document as a contract a machine can read: readable operation ids, the `x-api-key`
security scheme, every error answer with its codes, paging headers, and no FastAPI 422s (every
validation failure is a 400 in the error envelope)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.alias_generators import to_camel

from leadblock.api.schemas import ErrorResponse

DESCRIPTION = """\
The workspace "do not contact" list for LinkedIn outreach, wire-compatible with WaLead's
blocked-leads API. Send your key in the `x-api-key` header. Every identifier may be a bare
public identifier or a LinkedIn profile URL; answers carry the canonical identifier.
Errors are always `{"success": false, "code", "message", "errors": [...]}`; `code` is one of
the values listed in the `ErrorResponse` schema.
"""

_ERROR = {"model": ErrorResponse}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "Malformed JSON or invalid input; nothing was written"},
    401: {**_ERROR, "description": "Missing, unknown or revoked API key"},
    403: {**_ERROR, "description": "Read-only API key used for a write"},
    404: {**_ERROR, "description": "No such record in this workspace"},
    408: {**_ERROR, "description": "The request body did not arrive in time"},
    413: {**_ERROR, "description": "Request body too large"},
    429: {
        **_ERROR,
        "description": "Rate limit exceeded (the key's, or the address's for failed keys)",
        "headers": _RETRY_AFTER,
    },
    503: {
        **_ERROR,
        "description": "Database unavailable, busy or full; nothing was written",
        "headers": _RETRY_AFTER,
    },
}
_INTEGER = {"schema": {"type": "integer"}}
PAGING_HEADERS = {
    "X-Total-Count": {"description": "Rows in the whole list", **_INTEGER},
    "X-Next-Cursor": {
        "description": "Cursor of the next page; absent on the last page",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
    },
    "Link": {
        "description": 'URL of the next page: `<…>; rel="next"`',
        "schema": {"type": "string"},
    },
}
SECURITY_SCHEME = "apiKey"


def operation_id(route: APIRoute) -> str:
    """`block_leads` -> `blockLeads`: the handler's name, as generated clients will call it."""
    return to_camel(route.name)


def install(app: FastAPI) -> None:
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]


def _document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in schema["paths"].values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        components = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        components["securitySchemes"] = {
            SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": "x-api-key"}
        }
        schema["security"] = [{SECURITY_SCHEME: []}]
        app.openapi_schema = schema
    return app.openapi_schema
