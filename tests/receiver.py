"""A real webhook receiver on 127.0.0.1 for tests and benchmarks: every POST is verified with the
`standardwebhooks` package (never leadblock's own code) and kept, per path.

What each path answers is set by the test: a status, a delay before answering, or a dropped
connection, for a given number of requests or for good.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

T = TypeVar("T")


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    verified: bool  # by standardwebhooks, with the path's secret (or None known)
    verified_with: list[bool]  # one per secret the test gave: which of them verify it
    answered: int | str  # the status sent back, "dropped", "late", or "" while answering
    at: float = field(default_factory=time.monotonic)

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Behaviour:
    status: int = 200
    delay_s: float = 0.0
    drop: bool = False  # close the connection without an answer
    times: int | None = None  # for this many requests, then back to 200 at once
    late: bool = False  # the delay outlasts the sender's timeout: recorded as "late"


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.secrets: dict[str, list[str]] = {}
        self.behaviours: dict[str, list[Behaviour]] = defaultdict(list)
        self.server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def new_path(self) -> str:
        return f"/hook/{uuid.uuid4().hex}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    def verify_with(self, path: str, *secrets: str) -> None:
        with self.lock:
            self.secrets[path] = list(secrets)

    def behave(self, path: str, behaviour: Behaviour) -> None:
        with self.lock:
            self.behaviours[path].append(replace(behaviour))  # counted down: a copy

    def reset(self, path: str) -> None:
        """Answer 200 at once from now on."""
        with self.lock:
            self.behaviours[path].clear()

    def got(self, path: str) -> list[Received]:
        with self.lock:
            return list(self.received[path])

    def delivered(self, path: str) -> list[Received]:
        """What was answered 2xx, in arrival order."""
        return [item for item in self.got(path) if item.answered == 200]

    def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Received]:
        """Wait until `count` deliveries were answered 2xx; fail with what came otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delivered = self.delivered(path)
            if len(delivered) >= count:
                return delivered
            time.sleep(0.02)
        raise AssertionError(
            f"{len(self.delivered(path))} of {count} deliveries to {path} within {timeout} s; "
            f"the last received: {[(r.webhook_id, r.answered) for r in self.got(path)[-5:]]}"
        )

    def _behaviour(self, path: str) -> Behaviour:
        with self.lock:
            queue = self.behaviours.get(path) or []
            while queue:
                current = queue[0]
                if current.times is None:
                    return current
                if current.times > 0:
                    current.times -= 1
                    return current
                queue.pop(0)
            return Behaviour()

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> Received:
        secrets = self.secrets.get(path, [])
        verified_with = []
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers)
                verified_with.append(True)
            except WebhookVerificationError:
                verified_with.append(False)
        item = Received(
            headers.get("webhook-id", ""), headers, body, any(verified_with), verified_with, ""
        )
        with self.lock:
            self.received[path].append(item)
        return item


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body for the sender's delayed ACK (40 ms an answer).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            behaviour = receiver._behaviour(self.path)
            # Kept in the order of arrival; what it was answered is filled in after.
            item = receiver._record(self.path, headers, body)
            if behaviour.delay_s:
                time.sleep(behaviour.delay_s)
            if behaviour.drop:
                item.answered = "dropped"
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            item.answered = "late" if behaviour.late else behaviour.status
            try:
                self.send_response(behaviour.status)
                if 300 <= behaviour.status < 400:
                    self.send_header("location", "http://127.0.0.1:9/elsewhere")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender gave up (a late answer)
                self.close_connection = True

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def eventually(probe: Callable[[], T], until: Callable[[T], bool], timeout: float = 30) -> T:
    """`probe()` once `until` holds of it (polled); fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(0.05)
