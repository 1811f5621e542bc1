"""Request body limits (SPEC: 413 above LEADBLOCK_MAX_BODY_BYTES, or _MAX_IMPORT_BYTES for CSV).

Bodies of every other API route are JSON whatever Content-Type says (so `curl -d '{…}'`, which
sends application/x-www-form-urlencoded, works): a body that is not JSON gets a clear 400.

A declared Content-Length over the limit is refused before any of the body is read; a chunked
body is counted as it arrives and refused the moment it crosses the limit.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadblock.api.errors import error_response


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_import_bytes: int,
        body_timeout_s: float,
        import_paths: frozenset[str],
        json_prefix: str,
    ) -> None:
        self.app = app
        self.import_paths = import_paths
        self.json_prefix = json_prefix
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.max_import_bytes if path in self.import_paths else self.max_body_bytes
        message = f"The request body is larger than the limit of {limit:,} bytes."
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await error_response(413, message)(scope, receive, send)
                return
        if path.startswith(self.json_prefix) and path not in self.import_paths:
            _as_json(scope)
        received = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s

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
                    raise HTTPException(413, message)
            return incoming

        await self.app(scope, counting_receive, send)


def _as_json(scope: Scope) -> None:
    # In place: the access log reads the route that routing stores in this same scope.
    headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
    scope["headers"] = [*headers, (b"content-type", b"application/json")]
