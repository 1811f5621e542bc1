"""Slow and stalled connections: a deadline for request headers and a cap on open connections.

uvicorn (0.54) has neither: a connection that never finishes its request headers stays open
forever (its `timeout_keep_alive` only covers the idle time between requests, and the app's body
timeout starts once the app reads), and `limit_concurrency` answers a plain-text 503 while
counting stalled connections too, so a few hundred idle sockets would refuse everyone else.
Worse, once the process runs out of file descriptors, uvloop's accept (libuv) closes every
connection waiting in the listen queue, so normal clients see their connection reset.

`GuardedHttpToolsProtocol` is uvicorn's httptools protocol plus three things (docs/decisions.md,
"Slow and stalled connections"):

- each request's headers must be complete within `LEADBLOCK_HEADER_TIMEOUT_S` of the
  connection (or of the request's first byte on a kept-alive one), else the connection is
  closed;
- a process holds at most `LEADBLOCK_MAX_CONNECTIONS`; at the cap, a new connection first
  closes the oldest one that has not yet sent the headers of any request (stalled), and only
  when there is none is it answered a JSON 503 at once;
- the soft descriptor limit is raised to the hard one, and the cap lowered (with a warning)
  if the limit cannot hold it plus a reserve.

uvloop accepts one connection per loop iteration and runs `connection_made` before the next,
so at the cap a stalled connection is closed before another descriptor is taken.

Every server process (`serve --workers N`) reads its settings from the environment, and so
imports the class by name (`PROTOCOL`) and keeps its own registry.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from leadblock.config import Settings

logger = logging.getLogger("leadblock")

PROTOCOL = "leadblock.web.connections:GuardedHttpToolsProtocol"
# Descriptors kept free of client connections: database, logs, the listening socket, the loop's
# own, and a connection accepted at the cap until the oldest stalled one is closed.
RESERVE_DESCRIPTORS = 64
REFUSAL_WARNING_INTERVAL_S = 60.0
# The request line and headers of one request: beyond this a 431 and the connection closed
# (httptools would buffer any size; nginx's default limit is 4 x 8 KiB).
MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Limits:
    header_timeout_s: float
    max_connections: int


def connection_cap(max_connections: int, descriptors: int) -> int:
    """How many connections fit in `descriptors` open files, the reserve set aside."""
    return max(1, min(max_connections, descriptors - RESERVE_DESCRIPTORS))


def raise_descriptor_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # an unlimited hard limit is above the kernel's nr_open
            pass
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


@functools.cache
def process_limits() -> Limits:
    """This process's limits, from LEADBLOCK_* and its descriptor limit (raised once, when
    its first connection arrives)."""
    settings = Settings()
    descriptors = raise_descriptor_limit()
    cap = connection_cap(settings.max_connections, descriptors)
    if cap < settings.max_connections:
        logger.warning(
            "open file limit %d leaves room for %d connections per process, not "
            "LEADBLOCK_MAX_CONNECTIONS=%d; raise the hard limit (ulimit -Hn, LimitNOFILE=)",
            descriptors,
            cap,
            settings.max_connections,
        )
    return Limits(settings.header_timeout_s, cap)


class Closable(Protocol):
    def close(self) -> None: ...


class ConnectionRegistry:
    """The open connections of one process (by transport) and, oldest first, those that have
    not yet sent the headers of any request."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: set[Closable] = set()
        self.stalled: dict[Closable, None] = {}  # insertion order: oldest first

    def admit(self, connection: Closable) -> bool:
        """Count a new connection in, closing the oldest stalled one if at the cap; False (and
        not counted) when the cap is held by connections that all sent a request."""
        if len(self.open) >= self.cap and self.stalled:
            oldest = next(iter(self.stalled))
            self.forget(oldest)
            oldest.close()
        if len(self.open) >= self.cap:
            return False
        self.open.add(connection)
        self.stalled[connection] = None
        return True

    def request_started(self, connection: Closable) -> None:
        self.stalled.pop(connection, None)

    def forget(self, connection: Closable) -> None:
        self.open.discard(connection)
        self.stalled.pop(connection, None)


@functools.cache
def process_registry() -> ConnectionRegistry:
    return ConnectionRegistry(process_limits().max_connections)


class HeaderDeadlines:
    """The connections of one process waiting for a request's headers, each with its deadline,
    under one timer: a timer per request (uvloop's `call_later` and `cancel`) cost 2.5 µs, as
    much as the access log. Every deadline is the same timeout after its wait began, so
    insertion order is deadline order, and the timer only ever looks at the first."""

    def __init__(self) -> None:
        self.waiting: dict[GuardedHttpToolsProtocol, float] = {}
        self.timer: asyncio.TimerHandle | None = None

    def wait(self, connection: GuardedHttpToolsProtocol, timeout_s: float) -> None:
        loop = connection.loop
        deadline = loop.time() + timeout_s
        self.waiting[connection] = deadline
        if self.timer is None:
            self.timer = loop.call_at(deadline, self._expire, loop)

    def done(self, connection: GuardedHttpToolsProtocol) -> None:
        self.waiting.pop(connection, None)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self.timer = None
        now = loop.time()
        while self.waiting:
            connection, deadline = next(iter(self.waiting.items()))
            if deadline > now:
                self.timer = loop.call_at(deadline, self._expire, loop)
                return
            del self.waiting[connection]
            connection.awaiting_headers = False
            connection.transport.close()


@functools.cache
def process_header_deadlines() -> HeaderDeadlines:
    return HeaderDeadlines()


def unavailable_response(default_headers: list[tuple[bytes, bytes]]) -> bytes:
    return refusal(
        b"503 Service Unavailable",
        "unavailable",
        "The server has too many open connections; retry in a second.",
        [*default_headers, (b"retry-after", b"1")],
    )


def refusal(status: bytes, code: str, message: str, headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole HTTP answer in the error envelope, written before any request was parsed."""
    body = json.dumps({"success": False, "code": code, "message": message, "errors": []}).encode()
    headers = [
        *headers,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    lines = [b"HTTP/1.1 " + status] + [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and the per-process connection cap
    (see the module docstring for why uvicorn's own settings do not do it)."""

    last_refusal_warning: ClassVar[float] = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = process_limits().header_timeout_s
        self.registry = process_registry()
        self.deadlines = process_header_deadlines()
        self.awaiting_headers = False
        self.header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.registry.admit(transport):
            self._await_headers()
        else:
            self._refuse()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_done()
        self.registry.forget(self.transport)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.awaiting_headers and not self.transport.is_closing():
            self.header_bytes += len(data)  # headers still incomplete: all of it is theirs
            if self.header_bytes > MAX_HEADER_BYTES:
                self._headers_done()
                self.transport.write(
                    refusal(
                        b"431 Request Header Fields Too Large",
                        "payload_too_large",
                        f"The request's headers are larger than {MAX_HEADER_BYTES:,} bytes.",
                        self.server_state.default_headers,
                    )
                )
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self.awaiting_headers:  # a next request on a kept-alive connection
            self._await_headers()

    def on_headers_complete(self) -> None:
        self._headers_done()
        self.registry.request_started(self.transport)
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self.registry.forget(self.transport)  # its connection_lost goes to the new protocol
        super().handle_websocket_upgrade()

    def _await_headers(self) -> None:
        self.header_bytes = 0
        self.awaiting_headers = True
        self.deadlines.wait(self, self.header_timeout_s)

    def _headers_done(self) -> None:
        if self.awaiting_headers:
            self.awaiting_headers = False
            self.deadlines.done(self)

    def _refuse(self) -> None:
        now = time.monotonic()
        if now - GuardedHttpToolsProtocol.last_refusal_warning > REFUSAL_WARNING_INTERVAL_S:
            GuardedHttpToolsProtocol.last_refusal_warning = now
            logger.warning(
                "%d connections open, none of them stalled: new ones get a 503 until one closes",
                self.registry.cap,
            )
        self.transport.write(unavailable_response(self.server_state.default_headers))
        self.transport.close()
