"""The OpenAPI document as a contract a machine can read: readable operation ids, the `x-api-key`
security scheme, every error answer with its codes, paging and rate-limit headers, and no FastAPI
422s (every validation failure is a 400 in the error envelope).

What the document states about requests is exactly what the server enforces (api/schemas.py says
how); tests/api/test_fuzz.py holds the two together, tests/api/test_openapi.py checks the document
itself and drives the server through a client generated from it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.alias_generators import to_camel

from leadblock.api import idempotency
from leadblock.api.schemas import CURSOR_FORMAT, ErrorResponse

DESCRIPTION = """\
The workspace "do not contact" list for LinkedIn outreach, wire-compatible with WaLead's
blocked-leads API. Send your key in the `x-api-key` header. Every identifier may be a bare
public identifier or a LinkedIn profile URL; answers carry the canonical identifier.
Errors are always `{"success": false, "code", "message", "errors": [...]}`; `code` is one of
the values listed in the `ErrorResponse` schema.

Webhook endpoints (`/webhooks`) receive every event of the audit trail as it is recorded, one
POST per event in the trail's order, signed as the Standard Webhooks specification says
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried until answered with a 2xx.
"""

_ERROR = {"model": ErrorResponse}
_INTEGER = {"schema": {"type": "integer", "minimum": 0}}
# Sent with every answer of a verified key (absent only while the rate limiter's store is down:
# it fails open), and with every 429.
RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {"description": "Requests allowed in the current window", **_INTEGER},
    "RateLimit-Remaining": {"description": "Requests left in the current window", **_INTEGER},
    "RateLimit-Reset": {"description": "Seconds until the window resets", **_INTEGER},
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "required": True, **_INTEGER}}
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
        "headers": {
            **_RETRY_AFTER,
            **{name: {**header, "required": True} for name, header in RATE_LIMIT_HEADERS.items()},
        },
    },
    503: {
        **_ERROR,
        "description": "Database unavailable, busy or full; nothing was written",
        "headers": _RETRY_AFTER,
    },
}
PAGING_HEADERS: dict[str, dict[str, Any]] = {
    "X-Total-Count": {"description": "Rows in the whole list", "required": True, **_INTEGER},
    "X-Next-Cursor": {
        "description": "Cursor of the next page; absent on the last page",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "format": CURSOR_FORMAT},
    },
    "Link": {
        "description": 'URL of the next page: `<…>; rel="next"`',
        "schema": {"type": "string"},
    },
}
# Refusals that may come after the key was verified and charged (the others come before).
CHARGED_REFUSALS = ("400", "403", "404", "409", "422", "503")
SECURITY_SCHEME = "apiKey"
# POSTs that change nothing (a check; a webhook's test event, which is only logged): the key
# is checked, and the answer is always of the moment.
ANSWERED_AFRESH = {"checkLeads", "testWebhook"}
IDEMPOTENCY_KEY = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Send the request at most once: a retry with the same key, method, path, query and body "
        "within the retention period (24 hours by default) gets the first answer again, status "
        "and body byte for byte, with `Idempotent-Replayed: true`, and does nothing; the key "
        "with another request is a 422, while the first is still running a 409. Keys belong to "
        "the workspace. Answers 403, 429 and 503 are not kept (retry them), and a dry run "
        f"keeps nothing. {idempotency.KEY_RULE[0].upper()}{idempotency.KEY_RULE[1:]}."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": idempotency.KEY_PATTERN,
    },
}
AFRESH_KEY = {
    **IDEMPOTENCY_KEY,
    "description": (
        "Accepted as on every POST and checked the same way; a check writes nothing and is "
        "answered as of now every time, never replayed (a stale all-clear could message "
        "someone blocked since)."
    ),
}
REPLAYED = {
    idempotency.REPLAYED_HEADER: {
        "description": "Present (`true`) when this is the stored answer of an earlier request "
        "with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
IDEMPOTENCY_RESPONSES: dict[str, dict[str, Any]] = {
    "409": {
        "description": "A request with this Idempotency-Key is still running; retry later",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    },
    "422": {
        "description": "This Idempotency-Key was used for another request (method, path, query "
        "or body); nothing was done",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    },
}


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
            for method, operation in path.items():
                responses = operation.get("responses", {})
                responses.pop("422", None)
                # The key's budget, on every answer given after the key was verified: every
                # success, and the refusals that come after verification.
                for status in ("200", *CHARGED_REFUSALS):
                    answer = responses.get(status)
                    if answer is not None:
                        answer["headers"] = {**answer.get("headers", {}), **RATE_LIMIT_HEADERS}
                if method.upper() in idempotency.METHODS:
                    _document_idempotency(operation)
        components = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        components["securitySchemes"] = {
            SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": "x-api-key"}
        }
        schema["security"] = [{SECURITY_SCHEME: []}]
        app.openapi_schema = schema
    return app.openapi_schema


def _document_idempotency(operation: dict[str, Any]) -> None:
    """The Idempotency-Key header of a POST, PATCH or DELETE, and what it may answer."""
    parameters = operation.setdefault("parameters", [])
    if operation["operationId"] in ANSWERED_AFRESH:
        parameters.append(AFRESH_KEY)
        return
    parameters.append(IDEMPOTENCY_KEY)
    responses = operation["responses"]
    for status in ("200", "400", "404"):
        if status in responses:  # a replay may be any stored answer
            answer = responses[status]
            responses[status] = {**answer, "headers": {**answer.get("headers", {}), **REPLAYED}}
    responses.update(IDEMPOTENCY_RESPONSES)
