"""Rate limits: a key's budget is charged only once its secret is verified.

- `LEADBLOCK_RATE_LIMIT` per API key, charged by the API's request unit and by the console once
  the key (or the console session naming it) is verified. Key ids are not secret (they appear in
  events and the console), so charging a budget before verification would let anyone spend a
  victim's budget with wrong secrets.
- `LEADBLOCK_AUTH_FAILURE_RATE_LIMIT` per client address, charged by every request whose key is
  missing, malformed, unknown, revoked or wrong. An address over it is answered 429 before its
  key is looked up, so guessing keys never reaches the database, except for a key this process
  has verified before (a real client behind the same address keeps working).
- `LEADBLOCK_RATE_LIMIT` per client address for what carries no key (docs, console sign-in page,
  static files), charged by `AddressRateLimitMiddleware`.

Counters are fixed windows kept by the `limits` library, in this process or in Redis when
`LEADBLOCK_REDIS_URL` is set (shared by every server process). The calls are synchronous: the
request unit calls them from the worker thread that does its database work (no extra hop); with
Redis they are one round trip each. If Redis is unreachable the request is let through and a
warning logged: the limiter protects the service, it must not become the reason it is down.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadblock import metrics
from leadblock.errors import RateLimited
from leadblock.web.errors import leadblock_error_response
from leadblock.web.paths import API_PREFIX, CONSOLE_PREFIX, OPERATIONS_PATHS

logger = logging.getLogger("leadblock")

# Keys verified by this process recently, by hash of the whole key: they pass an address's
# exhausted failure budget. Bounded; the oldest are forgotten first.
_VERIFIED_KEYS = 10_000


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-process storage without its timer thread.

    The library drops expired counters from a `threading.Timer` of 10 ms that it starts again on
    the next count once it has run: under load, a thread started a hundred times a second,
    competing with the event loop for the GIL (py-spy: 3% of the loop's samples in
    `Thread.start` alone). A counter past its window is already ignored when read; what is left
    is reclaiming memory, done here by the count that finds a sweep due, at most once a second.
    """

    STORAGE_SCHEME = ["leadblock-memory"]  # noqa: RUF012 - as the library declares it

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    # Replaces the library's private timer restart (`MemoryStorage.__schedule_expiry`).
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the library's name
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class RateLimiter:
    def __init__(self, *, limit: str, auth_failure_limit: str, redis_url: str | None) -> None:
        self.limit: RateLimitItem = parse(limit)
        self.failure_limit: RateLimitItem = parse(auth_failure_limit)
        storage = storage_from_string(redis_url) if redis_url else SweptMemoryStorage()
        assert isinstance(storage, Storage)  # the synchronous kind, as the calls are
        self._storage = storage
        self._windows = FixedWindowRateLimiter(storage)
        self._verified: OrderedDict[int, None] = OrderedDict()
        self._verified_lock = threading.Lock()

    def charge_key(self, key_id: str) -> dict[str, str]:
        """Count a request of a verified key; its RateLimit-* headers, or `RateLimited`."""
        return self._charge(self.limit, "key:" + key_id, "this API key")

    def charge_address(self, address: str) -> dict[str, str]:
        """Count a request that carries no key against its client address."""
        return self._charge(self.limit, "address:" + address, "this address")

    def refuse_failing_address(self, address: str, plain_key: str | None) -> None:
        """`RateLimited` when the address has spent its failure budget and the key is not one
        this process has verified: answered without a look at the database."""
        if plain_key is not None and self._known(plain_key):
            return
        try:
            allowed = self._windows.test(self.failure_limit, "auth-failure:" + address)
        except Exception as error:  # fail open, loudly
            logger.warning("rate limiter unavailable, request let through: %s", error)
            return
        if not allowed:
            raise self._refusal(self.failure_limit, "auth-failure:" + address, "failed keys")

    def charge_failure(self, address: str) -> None:
        """Count a request whose key was missing, malformed, unknown, revoked or wrong."""
        try:
            self._windows.hit(self.failure_limit, "auth-failure:" + address)
        except Exception as error:
            logger.warning("rate limiter unavailable, request let through: %s", error)

    def remember_verified(self, plain_key: str) -> None:
        fingerprint = _fingerprint(plain_key)
        with self._verified_lock:
            self._verified[fingerprint] = None
            self._verified.move_to_end(fingerprint)
            if len(self._verified) > _VERIFIED_KEYS:
                self._verified.popitem(last=False)

    def _known(self, plain_key: str) -> bool:
        with self._verified_lock:
            return _fingerprint(plain_key) in self._verified

    def _charge(self, item: RateLimitItem, identity: str, whose: str) -> dict[str, str]:
        # The fixed window's count, as `FixedWindowRateLimiter.hit` keeps it, read back from
        # the increment itself: the strategy's hit and window stats made four storage calls
        # and three keys of every request, a sixth of a single check's time.
        try:
            window = item.key_for(identity)
            used = self._storage.incr(window, item.get_expiry())
            headers = _headers(item, used, self._storage.get_expiry(window))
        except Exception as error:  # fail open, loudly
            logger.warning("rate limiter unavailable, request let through: %s", error)
            return {}
        if used > item.amount:
            raise self._refusal(item, identity, whose, headers)
        return headers

    def _refusal(
        self, item: RateLimitItem, identity: str, whose: str, headers: dict[str, str] | None = None
    ) -> RateLimited:
        metrics.observe_rate_limited(identity.partition(":")[0])
        if headers is None:
            stats = self._windows.get_window_stats(item, identity)
            headers = _headers(item, item.amount - stats.remaining, stats.reset_time)
        reset = headers["RateLimit-Reset"]
        return RateLimited(
            f"Rate limit of {item} exceeded for {whose}; retry in {reset} s.",
            int(reset),
            {**headers, "Retry-After": reset},
        )


def _headers(item: RateLimitItem, used: int, reset_at: float) -> dict[str, str]:
    """The RateLimit-* headers of a window of `item` with `used` requests, ending at `reset_at`."""
    return {
        "RateLimit-Limit": str(item.amount),
        "RateLimit-Remaining": str(max(0, item.amount - used)),
        "RateLimit-Reset": str(max(1, math.ceil(reset_at - time.time()))),
    }


def _fingerprint(plain_key: str) -> int:
    """What the process remembers of a verified key: Python's 64-bit string hash (SipHash,
    keyed at start unless PYTHONHASHSEED fixes the key; PEP 456). The set holds no secret, and
    a wrong key passes an exhausted failure budget only by colliding with a verified key it
    cannot see (and is then still looked up and refused). A SHA-256 cost every verified request
    ten times as much, twice."""
    return hash(plain_key)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AddressRateLimitMiddleware:
    """Charges requests that no key or console session accounts for to their address.

    API requests are charged by the request unit, console requests with a session by the
    console once the session is verified; the OpenAPI document, `/docs` and the health checks
    are never limited.
    """

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, session_cookie: str) -> None:
        self.app = app
        self.limiter = limiter
        self.session_cookie = session_cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._charged_here(scope):
            await self.app(scope, receive, send)
            return
        try:
            headers = self.limiter.charge_address(client_address(scope))
        except RateLimited as refused:
            await leadblock_error_response(refused)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _charged_here(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path.startswith((API_PREFIX, "/docs", "/openapi.json")) or path in OPERATIONS_PATHS:
            return False
        if path.startswith(CONSOLE_PREFIX):
            cookies = b"".join(value for name, value in scope["headers"] if name == b"cookie")
            return self.session_cookie not in cookies
        return True
