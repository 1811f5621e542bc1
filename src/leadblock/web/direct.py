"""Direct routes: the hottest requests answered straight from ASGI, ahead of FastAPI's routing.

A single-id check is the request senders make most, and its own work (a key and one index
probe) is smaller than what FastAPI spends around it: matching ~40 routes, solving the
dependencies and validating each query parameter through pydantic took half of its time on the
event loop (docs/performance.md). A direct handler reads the plain form of its request itself
and answers through the same request unit and work as its FastAPI route; for anything else it
answers None and the route serves the request, with FastAPI's validation and its refusals. The
route stays the one the OpenAPI document describes, and is named in the scope for the access
log and /metrics either way.

The edge middleware (access log, address limit, request guard) runs before a direct handler as
before any route; its errors are answered by the app's own exception handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from inspect import isawaitable
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A direct handler: the answer, or None to leave the request to its FastAPI route.
DirectHandler = Callable[[Request], Awaitable[Response | None]]
ExceptionHandlers = Mapping[Any, Callable[[Request, Any], Response | Awaitable[Response]]]


class DirectRoutesMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        handlers: Mapping[tuple[str, str], tuple[BaseRoute, DirectHandler]],
        exception_handlers: ExceptionHandlers,
    ) -> None:
        self.app = app
        self.handlers = handlers  # (method, path): (the route it stands in for, its handler)
        self.exception_handlers = exception_handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            direct = self.handlers.get((scope["method"], scope["path"]))
            if direct is not None:
                route, handler = direct
                request = Request(scope, receive)
                try:
                    response = await handler(request)
                except Exception as error:
                    response = await self._answer_error(request, error)
                if response is not None:
                    scope["route"] = route
                    await response(scope, receive, send)
                    return
                body = getattr(request, "_body", None)
                if body is not None:
                    receive = _replaying(body, receive)
        await self.app(scope, receive, send)

    async def _answer_error(self, request: Request, error: Exception) -> Response:
        for kind in type(error).__mro__:
            handler = self.exception_handlers.get(kind)
            if handler is not None:
                response = handler(request, error)
                return await response if isawaitable(response) else response
        raise error


def plain_query(query_string: bytes, names: frozenset[str]) -> dict[str, str] | None:
    """The query's fields, when each is one of `names` and comes at most once; else None (a
    direct handler then leaves the request to its route). Parsed as Starlette parses it."""
    fields = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    found = dict(fields)
    if len(found) != len(fields) or not found.keys() <= names:
        return None
    return found


async def read_body(request: Request) -> bytes:
    """The request's body, read as FastAPI reads a route's: a refusal while reading (the guard's
    408 and 413) stands, any other failure is a 400."""
    try:
        return await request.body()
    except HTTPException:
        raise
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the route a direct handler left a request to, after it read the body."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
