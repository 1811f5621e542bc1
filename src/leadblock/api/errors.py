"""The one table from errors to HTTP answers, all in the SPEC envelope:
`{"success": false, "message": "...", "errors": [{"index", "value", "message"}]}`.

Framework defaults (FastAPI's 422, Starlette's plain-text 404/405) never reach a client, and an
unexpected exception becomes a 500 with no detail, logged with its stack on the server only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from leadblock import errors
from leadblock.api.responses import OrjsonResponse

logger = logging.getLogger("leadblock")

STATUS: dict[type[errors.LeadblockError], int] = {
    errors.InvalidInput: 400,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.PayloadTooLarge: 413,
    errors.ServiceUnavailable: 503,
}
_HTTP_MESSAGES = {
    404: "Not found.",
    405: "Method not allowed on this route.",
}


def error_response(
    status: int, message: str, items: list[errors.ItemError] | None = None
) -> Response:
    body: dict[str, Any] = {"success": False, "message": message}
    if items:
        body["errors"] = [
            {"index": item.index, "value": _jsonable(item.value), "message": item.message}
            for item in items
        ]
    headers = {"Retry-After": "1"} if status == 503 else None
    return OrjsonResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.LeadblockError, _leadblock_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    # Its own handler, so it is answered inside the app: handlers of `Exception` run in
    # Starlette's outermost middleware, which re-raises and logs a stack trace for a 400.
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(Exception, _unexpected_error)


async def _leadblock_error(_request: Request, error: errors.LeadblockError) -> Response:
    items = error.errors if isinstance(error, errors.InvalidInput) else None
    return error_response(STATUS.get(type(error), 400), error.message, items)


async def _validation_error(_request: Request, error: RequestValidationError) -> Response:
    problems = [_describe(problem) for problem in error.errors()]
    if any(problem["type"] == "json_invalid" for problem in error.errors()):
        return error_response(400, "The request body is not valid JSON.")
    if len(problems) == 1 and problems[0].index == -1:
        return error_response(400, problems[0].message)
    count = len(problems)
    return error_response(
        400, f"{count} invalid field{'s' if count > 1 else ''} in the request.", problems
    )


async def _http_error(_request: Request, error: HTTPException) -> Response:
    message = _HTTP_MESSAGES.get(error.status_code, str(error.detail))
    response = error_response(error.status_code, message)
    if error.headers:
        response.headers.update(error.headers)
    return response


async def _too_deep(_request: Request, _error: Exception) -> Response:
    return error_response(400, "The request body is nested too deeply.")


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "Internal error; it has been logged.")


def _describe(problem: Any) -> errors.ItemError:
    """Turn one pydantic error into the SPEC's per-item entry.

    `loc` looks like ("body", "leads", 3, "publicIdentifier"): the first number is the index of
    the offending entry; without one (a query parameter, a missing body) the index is -1.
    """
    location = [part for part in problem["loc"] if part != "body"]
    index = next((part for part in location if isinstance(part, int)), -1)
    where = ".".join(str(part) for part in location if not isinstance(part, int))
    source = problem["loc"][0] if problem["loc"] else "body"
    if problem["type"] == "missing" and not where:
        message = "The request body is required."
    elif source == "query":
        where = where.removeprefix("query.")
        message = f"Query parameter {where}: {problem['msg'].lower()}."
    else:
        message = f"{where or 'body'}: {problem['msg'].lower()}."
    value = problem.get("input") if index >= 0 else None
    return errors.ItemError(index, value, message)


_ECHO_LIMIT = 200


def _jsonable(value: Any) -> Any:
    """The offending value as echoed in an error: never more than 200 characters of it."""
    if isinstance(value, str):
        return value if len(value) <= _ECHO_LIMIT else value[:_ECHO_LIMIT] + "…"
    if value is None or isinstance(value, int | float | bool):
        return value
    return repr(value)[:_ECHO_LIMIT]
