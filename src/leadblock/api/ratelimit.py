"""Per-API-key rate limiting (`LEADBLOCK_RATE_LIMIT`), before any other work.

Counters are fixed windows kept by the `limits` library: in this process, or in Redis when
`LEADBLOCK_REDIS_URL` is set, so that every server process shares them. A request is counted
against the key id in its `x-api-key` header (the part before the secret): the limit applies
before the key is verified, so a flood never reaches the database. A web console request is
counted against the key id its session cookie names (so console users behind one proxy do not
share a budget). Other requests are counted per client address. Every answer carries
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a refused one is a 429 with
`Retry-After`.

If Redis is unreachable the request is let through and a warning logged: the limiter
protects the service, it must not become the reason it is down.
"""

from __future__ import annotations

import logging
import math
import re
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadblock.api.errors import error_response
from leadblock.console.session import SESSION_COOKIE, unverified_key_id

logger = logging.getLogger("leadblock")

_KEY_ID = re.compile(rb"^lb_([0-9a-f]{16})_")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: str, redis_url: str | None) -> None:
        self.app = app
        self.limit: RateLimitItem = parse(limit)
        uri = "async+" + redis_url if redis_url else "async+memory://"
        self.limiter = FixedWindowRateLimiter(storage_from_string(uri))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/docs", "/openapi.json")):
            await self.app(scope, receive, send)
            return
        identity = _identity(scope)
        try:
            allowed = await self.limiter.hit(self.limit, identity)
            stats = await self.limiter.get_window_stats(self.limit, identity)
        except Exception as error:  # fail open, loudly
            logger.warning("rate limiter unavailable, request let through: %s", error)
            await self.app(scope, receive, send)
            return
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(self.limit.amount),
            "RateLimit-Remaining": str(stats.remaining),
            "RateLimit-Reset": str(reset),
        }
        if not allowed:
            response = error_response(
                429, f"Rate limit of {self.limit} exceeded for this API key; retry in {reset} s."
            )
            response.headers.update({**headers, "Retry-After": str(reset)})
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _identity(scope: Scope) -> str:
    headers = dict(scope["headers"])
    match = _KEY_ID.match(headers.get(b"x-api-key", b""))
    if match:
        return "key:" + match.group(1).decode()
    key_id = _console_key_id(headers.get(b"cookie", b""))
    if key_id:
        return "key:" + key_id
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")


def _console_key_id(cookies: bytes) -> str | None:
    """The key id a console session cookie names (unverified, like a header's key id: the
    count only needs a name; the console verifies the signature)."""
    for cookie in cookies.decode("latin-1").split(";"):
        name, _, value = cookie.strip().partition("=")
        if name == SESSION_COOKIE:
            return unverified_key_id(value)
    return None
