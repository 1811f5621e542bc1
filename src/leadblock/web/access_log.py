"""Structured access logs: one JSON line per request on the `leadblock.access` logger, and the
same request counted for /metrics (by route template, method and status).

Fields: `requestId`, `method`, `route` (the route template, e.g. `/api/v1/blocked-leads/{lead_id}`,
never the query string, which may carry identifiers), `status`, `durationMs`, and, once the key
is verified, `workspaceId` and `keyId`. The API key itself is never logged. The request id is
the caller's `X-Request-Id` when it is a short token, a new one otherwise, and is returned in
the `X-Request-Id` header of every answer.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadblock import metrics
from leadblock.domain.records import Caller
from leadblock.web.paths import API_PREFIX

logger = logging.getLogger("leadblock.access")

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
# New request ids: 16 random hex digits per process, then a count. As unique as uuid4 for
# finding a request in the logs, without a system call per request (uuid4 reads urandom).
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNT = itertools.count(1)
# The log record of the request being served. A dict, so that handlers running in a worker
# thread (which get a copy of the context) still write into the same record.
_current: ContextVar[dict[str, Any] | None] = ContextVar("leadblock_access", default=None)


def note_caller(caller: Caller) -> None:
    """Put the verified caller's workspace and key id in this request's access log line."""
    record = _current.get()
    if record is not None:
        record["workspaceId"] = caller.workspace_id
        record["keyId"] = caller.key_id


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        encoded_id = request_id.encode()
        record: dict[str, Any] = {"requestId": request_id, "method": scope["method"]}
        token = _current.set(record)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", encoded_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
            record["route"] = _route_template(scope)
            record.setdefault("status", 500)
            seconds = time.perf_counter() - started
            record["durationMs"] = round(seconds * 1000, 2)
            metrics.observe_request(record["route"], record["method"], record["status"], seconds)
            if logger.isEnabledFor(logging.INFO):
                logger.info(orjson.dumps(record).decode())


def _route_template(scope: Scope) -> str:
    # path_format: the template without convertors (`{lead_id}`, not `{lead_id:lead_id}`).
    template = getattr(scope.get("route"), "path_format", None)
    if template is None:
        # Starlette's own routes (FastAPI's /openapi.json) name no route in the scope; one
        # without parameters is its own template. Mounted files and unrouted paths stay
        # unnamed: their paths are the client's words.
        if "endpoint" in scope and not scope.get("path_params"):
            return str(scope["path"])
        return "(no route)"
    # Routes of an included router know their path below the router's prefix only.
    if scope["path"].startswith(API_PREFIX) and not template.startswith(API_PREFIX):
        return API_PREFIX + str(template)
    return str(template)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _REQUEST_ID.match(value):
            return str(value.decode())
    return f"{_ID_PREFIX}{next(_ID_COUNT):016x}"
