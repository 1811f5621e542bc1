"""What every request must satisfy before a route sees it, checked in one pass over its head:

- at most one `x-api-key` header (auth and rate limiting must never read different ones);
- a path and query string that percent-decode to valid UTF-8 (never silently U+FFFD);
- a body within `LEADBLOCK_MAX_BODY_BYTES` (`_MAX_IMPORT_BYTES` for CSV imports), refused from
  `Content-Length` before any of it is read, or counted as it arrives and refused the moment it
  crosses the limit; and the whole of it within `LEADBLOCK_BODY_TIMEOUT_S` (then 408).

HEAD is answered wherever GET is, as GET's answer without its body.

Bodies of every other API route are JSON whatever Content-Type says (so `curl -d '{…}'`, which
sends application/x-www-form-urlencoded, works): a body that is not JSON gets a clear 400.
Refusals are answered by `answer_error`, which knows whether the path is the API's (JSON) or
the console's (a page).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadblock.web.paths import API_PREFIX, CSV_PATHS, IMPORT_PATHS

ErrorAnswer = Callable[[Scope, int, str], Response]


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_import_bytes: int,
        body_timeout_s: float,
        answer_error: ErrorAnswer,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes
        self.body_timeout_s = body_timeout_s
        self.answer_error = answer_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            await self._as_get(scope, receive, send)
            return
        path = scope["path"]
        limit = self.max_import_bytes if path in IMPORT_PATHS else self.max_body_bytes
        refusal = _refusal(scope, limit)
        if refusal is not None:
            await self.answer_error(scope, *refusal)(scope, receive, send)
            return
        if scope["method"] != "GET" and path.startswith(API_PREFIX) and path not in CSV_PATHS:
            _as_json(scope)  # (no GET route reads a body)
        received = 0
        deadline = asyncio.get_running_loop().time() + self.body_timeout_s

        async def counting_receive() -> Message:
            nonlocal received
            try:
                # The whole body must arrive before the deadline: a client trickling one byte
                # a second is cut off instead of holding a worker and a connection forever.
                async with asyncio.timeout_at(deadline):
                    incoming = await receive()
            except TimeoutError:
                raise HTTPException(
                    408, f"The request body did not arrive within {self.body_timeout_s:g} s."
                ) from None
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    # An HTTPException, since FastAPI turns other errors in body reading into 400.
                    raise HTTPException(413, _too_large(limit))
            return incoming

        await self.app(scope, counting_receive, send)

    async def _as_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HEAD is GET without the answer's body (RFC 9110, 9.3.2), so every GET route serves
        it: routed as a GET in a copy of the scope, while the server, which reads its own,
        still sends no body. What routing learns (the route, for the access log) is copied
        back."""
        routed = {**scope, "method": "GET"}
        try:
            await self(routed, receive, send)
        finally:
            scope.update((key, routed[key]) for key in routed.keys() - scope.keys())


def _too_large(limit: int) -> str:
    return f"The request body is larger than the limit of {limit:,} bytes."


def _refusal(scope: Scope, limit: int) -> tuple[int, str] | None:
    """(status, message) when the request's head alone breaks a rule, else None."""
    keys = 0
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            keys += 1
        elif name == b"content-length" and value.isdigit() and int(value) > limit:
            return 413, _too_large(limit)
    if keys > 1:
        return 400, f"Send one x-api-key header, not {keys}."
    if _decoded(scope.get("raw_path") or b"") is None:
        return 400, "The path is not valid UTF-8 once percent-decoded."
    field = undecodable_field(scope["query_string"])
    if field is not None:
        return 400, f"Query parameter {field} is not valid UTF-8 once percent-decoded."
    return None


def undecodable_field(encoded: bytes) -> str | None:
    """The first field of a query string or form body (`name=value&…`) that does not
    percent-decode to UTF-8, by name (or `number N` when the name itself does not), else None."""
    for position, pair in enumerate(encoded.split(b"&"), 1):
        name, _, value = pair.partition(b"=")
        decoded_name = _decoded(name)
        if decoded_name is None:
            return f"number {position}"
        if _decoded(value) is None:
            return decoded_name[:100]
    return None


def _decoded(component: bytes) -> str | None:
    """A percent-encoded URL component as text, or None when it is not UTF-8."""
    spaced = component.replace(b"+", b" ")
    try:
        # Most components have nothing to unquote (unquote_to_bytes is pure Python).
        return (unquote_to_bytes(spaced) if b"%" in spaced else spaced).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _as_json(scope: Scope) -> None:
    # In place: the access log reads the route that routing stores in this same scope.
    headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
    scope["headers"] = [*headers, (b"content-type", b"application/json")]
