"""A real HTTP proxy on 127.0.0.1 in front of a real server, for the answers a network loses.

Every request is forwarded as it came and its answer passed back as it came, except where the
test's rule says otherwise for that request: `LOSE` forwards it (the server acts) and closes the
client's connection without the answer, as when an answer is lost on the way; `REFUSE` closes
the connection without forwarding it, as when the server cannot be reached. What passed through
is kept, in order, for the test to look at.
"""

from __future__ import annotations

import enum
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class Fate(enum.Enum):
    PASS = "pass"
    LOSE = "lose"  # forwarded, answer withheld
    REFUSE = "refuse"  # not forwarded


@dataclass(frozen=True)
class Passed:
    method: str
    path: str  # without the query
    idempotency_key: str | None
    fate: Fate
    status: int | None  # the server's answer; None when not forwarded
    replayed: bool  # the server's answer carried Idempotent-Replayed: true
    retry_after: str | None  # the server's answer's Retry-After


Rule = Callable[[str, str], Fate]  # (method, path) -> fate
# Set again for the body as passed on (httpx has decoded it), or by the proxy's own server.
HOP_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection", "date"}


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rule: Rule = lambda _method, _path: Fate.PASS
        self.passed: list[Passed] = []
        self.lock = threading.Lock()
        self.url = ""

    def lose_first(self, method: str, suffix: str) -> None:
        """Lose the answer of the first request of `method` whose path ends with `suffix`."""
        lost: list[str] = []

        def rule(request_method: str, path: str) -> Fate:
            if request_method == method and path.endswith(suffix) and not lost:
                lost.append(path)
                return Fate.LOSE
            return Fate.PASS

        self.rule = rule

    def refuse(self, method: str, suffix: str) -> None:
        """Forward no request of `method` whose path ends with `suffix`."""
        self.rule = lambda m, path: (
            Fate.REFUSE if m == method and path.endswith(suffix) else Fate.PASS
        )

    def where(self, method: str, suffix: str) -> list[Passed]:
        with self.lock:
            return [p for p in self.passed if p.method == method and p.path.endswith(suffix)]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        path = handler.path.split("?", 1)[0]
        fate = self.rule(handler.command, path)
        answer = None
        if fate is not Fate.REFUSE:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            answer = httpx.request(
                handler.command, self.upstream + handler.path, content=body, headers=headers
            )
        with self.lock:
            self.passed.append(
                Passed(
                    handler.command,
                    path,
                    handler.headers.get("Idempotency-Key"),
                    fate,
                    None if answer is None else answer.status_code,
                    answer is not None and answer.headers.get("Idempotent-Replayed") == "true",
                    None if answer is None else answer.headers.get("Retry-After"),
                )
            )
        if answer is None or fate is Fate.LOSE:
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return
        handler.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in HOP_HEADERS:
                handler.send_header(name, value)
        handler.send_header("content-length", str(len(answer.content)))
        handler.end_headers()
        handler.wfile.write(answer.content)


@contextmanager
def running_proxy(upstream: str) -> Iterator[Proxy]:
    """A proxy to `upstream` (a server's root URL) on a free port of 127.0.0.1."""
    proxy = Proxy(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            proxy._handle(self)

        def do_POST(self) -> None:
            proxy._handle(self)

        def do_PATCH(self) -> None:
            proxy._handle(self)

        def do_DELETE(self) -> None:
            proxy._handle(self)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
