"""The one table from errors to HTTP answers, all in one envelope:
`{"success": false, "code", "message", "errors": [{"index", "value", "message"}]}`.

The API answers it as JSON; the console renders the same status and message as a page. Framework
defaults (FastAPI's 422, Starlette's plain-text 404/405) never reach a client, and an unexpected
exception becomes a 500 with no detail, logged with its stack on the server only.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount

from leadblock import errors
from leadblock.web.responses import OrjsonResponse

logger = logging.getLogger("leadblock")

# Most specific first: the first class an error is an instance of decides.
ANSWERS: tuple[tuple[type[errors.LeadblockError], int, str], ...] = (
    (errors.MalformedBody, 400, "malformed_json"),
    (errors.InvalidInput, 400, "invalid_input"),
    (errors.NotAuthenticated, 401, "unauthenticated"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not_found"),
    (errors.PayloadTooLarge, 413, "payload_too_large"),
    (errors.IdempotencyKeyInUse, 409, "idempotency_key_in_use"),
    (errors.IdempotencyKeyReused, 422, "idempotency_key_reused"),
    (errors.RateLimited, 429, "rate_limited"),
    (errors.ServiceUnavailable, 503, "unavailable"),
)
# The code of an answer that has no leadblock error behind it (routing, body reading).
CODES = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "idempotency_key_in_use",
    413: "payload_too_large",
    422: "idempotency_key_reused",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}
_HTTP_MESSAGES = {
    404: "Not found.",
    405: "Method not allowed on this route.",
}
ECHO_LIMIT = 200
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def answer_of(error: errors.LeadblockError) -> tuple[int, str]:
    """(status, code) of a leadblock error."""
    for kind, status, code in ANSWERS:
        if isinstance(error, kind):
            return status, code
    return 400, "invalid_input"


class RefusedRequest(HTTPException):
    """A request refused while FastAPI reads it (its body), carrying the leadblock error to
    answer: FastAPI re-raises HTTP exceptions from body parsing and wraps anything else."""

    def __init__(self, error: errors.LeadblockError) -> None:
        super().__init__(answer_of(error)[0], error.message)
        self.error = error


def error_response(
    status: int,
    message: str,
    items: list[errors.ItemError] | None = None,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {
        "success": False,
        "code": code or CODES.get(status, "invalid_input"),
        "message": message,
        "errors": [
            {"index": item.index, "value": echo(item.value), "message": item.message}
            for item in items or ()
        ],
    }
    headers = dict(headers or {})
    if status == 503:
        headers.setdefault("Retry-After", "1")
    return OrjsonResponse(body, status_code=status, headers=headers)


def leadblock_error_response(error: errors.LeadblockError) -> Response:
    status, code = answer_of(error)
    items = error.errors if isinstance(error, errors.InvalidInput) else None
    headers = error.headers if isinstance(error, errors.RateLimited) else None
    return error_response(status, error.message, items, code=code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.LeadblockError, _leadblock_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    # Its own handler, so it is answered inside the app: handlers of `Exception` run in
    # Starlette's outermost middleware, which re-raises and logs a stack trace for a 400.
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(Exception, _unexpected_error)


async def _leadblock_error(request: Request, error: errors.LeadblockError) -> Response:
    response = leadblock_error_response(error)
    # The RateLimit-* headers of the key this request was charged to, if it got that far (a
    # 429 carries its own).
    charged: dict[str, str] | None = getattr(request.state, "rate_headers", None)
    if charged and not isinstance(error, errors.RateLimited):
        response.headers.update(charged)
    return response


def validation_failure(error: RequestValidationError) -> errors.InvalidInput:
    """pydantic's and FastAPI's validation errors as one leadblock error."""
    problems = [_describe(problem) for problem in error.errors()]
    if any(problem["type"] == "json_invalid" for problem in error.errors()):
        return errors.MalformedBody("The request body is not valid JSON.")
    if len(problems) == 1 and problems[0].index == -1:
        return errors.InvalidInput(problems[0].message, problems)
    count = len(problems)
    return errors.InvalidInput(
        f"{count} invalid field{'s' if count > 1 else ''} in the request.", problems
    )


async def _validation_error(_request: Request, error: RequestValidationError) -> Response:
    return leadblock_error_response(validation_failure(error))


async def _http_error(request: Request, error: HTTPException) -> Response:
    if isinstance(error, RefusedRequest):
        return leadblock_error_response(error.error)
    message = _HTTP_MESSAGES.get(error.status_code, str(error.detail))
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return error_response(error.status_code, message, headers=headers)


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method the path is routed for, asked of the routing itself (Starlette's 405 names
    only the first matching route's methods), with HEAD wherever GET is. Mounted files are GET
    and HEAD only."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Mount):
            if route.matches(request.scope)[0] is not Match.NONE:
                methods |= {"GET"}
            continue
        methods.update(
            method
            for method in _METHODS
            if route.matches({**request.scope, "method": method})[0] is Match.FULL
        )
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _too_deep(_request: Request, _error: Exception) -> Response:
    return error_response(400, "The request body is nested too deeply.", code="malformed_json")


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "Internal error; it has been logged.")


def _describe(problem: Any) -> errors.ItemError:
    """Turn one pydantic error into the envelope's per-item entry.

    `loc` looks like ("body", "leads", 3, "publicIdentifier"): the first number is the index of
    the offending entry; without one (a query parameter, a missing body) the index is -1.
    """
    location = [part for part in problem["loc"] if part != "body" and not _union_member(part)]
    index = next((part for part in location if isinstance(part, int)), -1)
    where = ".".join(str(part) for part in location if not isinstance(part, int))
    source = problem["loc"][0] if problem["loc"] else "body"
    if problem["type"] == "missing" and not where:
        message = "The request body is required."
    elif source == "query":
        where = where.removeprefix("query.")
        message = f"Query parameter {where}: {_sentence_part(problem['msg'])}."
    elif source in ("path", "header"):
        where = where.removeprefix(f"{source}.")
        message = f"{source.capitalize()} parameter {where}: {_sentence_part(problem['msg'])}."
    else:
        message = f"{where or 'body'}: {_sentence_part(problem['msg'])}."
    value = problem.get("input") if index >= 0 else None
    return errors.ItemError(index, value, message)


def _union_member(part: Any) -> bool:
    """pydantic names the member of a union it tried (`list[str]`, `UnblockRequest`) in `loc`;
    that is its inside, not a field of the request (fields are camelCase)."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part)


def _sentence_part(message: str) -> str:
    """pydantic's "Input should be 'ASC'" as the middle of a sentence: only its first letter
    lowered, so quoted values and patterns keep their case."""
    return message[:1].lower() + message[1:]


def echo(value: Any) -> Any:
    """An offending value as an error echoes it: valid JSON, at most 200 characters of it."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        # Beyond 64 bits JSON encoders refuse it; beyond ~660 bits its digits exceed the limit.
        if -(2**63) <= value < 2**63:
            return value
        return str(value) if value.bit_length() < 600 else "(an integer too large to show)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > ECHO_LIMIT:
        text = text[:ECHO_LIMIT] + "…"
    # A lone surrogate cannot be written as JSON: show it as U+FFFD.
    return _LONE_SURROGATE.sub("\ufffd", text)
