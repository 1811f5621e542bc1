"""Slow and stalled connections (web/connections.py), against a real `leadblock serve` process
with raw sockets on 127.0.0.1: unfinished headers are cut off, thousands of stalled connections
do not keep anyone else from being served, and a cap held by requests in progress answers a
JSON 503."""

from __future__ import annotations

import os
import resource
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.web.connections import RESERVE_DESCRIPTORS, ConnectionRegistry, connection_cap
from tests.server import Server, running_server

HEADER_TIMEOUT_S = 2
PARTIAL = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n"
COMPLETE = PARTIAL + b"\r\n"


def database_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'lb.db'}"


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (x.split(":", 1) for x in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        body += sock.recv(65536)
    return int(status_line.split()[1]), headers, body


def received_before_close(sock: socket.socket, within: float) -> bytes:
    """What the server sent before closing the connection; fails if it is still open."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"still open after {within} s")
    return received


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@contextmanager
def soft_descriptor_limit(limit: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, limit), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("connections")
    with ExitStack() as stack:
        # Started with a low soft limit (inherited), which the server raises to the hard one.
        with soft_descriptor_limit(512):
            started = stack.enter_context(
                running_server(
                    database_url(directory),
                    directory / "server.log",
                    LEADBLOCK_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
                    LEADBLOCK_MAX_CONNECTIONS="200",
                )
            )
        yield started


def test_the_descriptor_limit_is_raised_to_the_hard_limit(server: Server) -> None:
    limits = Path(f"/proc/{server.process.pid}/limits").read_text()
    line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    # The hard limit is inherited from this process (only the soft one was lowered for the
    # start); the server raised its soft limit to it.
    ours = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    expected = "unlimited" if ours == resource.RLIM_INFINITY else str(ours)
    assert (soft, hard) == (expected, expected)


@pytest.mark.parametrize(
    "sent",
    [PARTIAL, b"", COMPLETE + PARTIAL],
    ids=["unfinished headers", "nothing at all", "second request on a kept-alive connection"],
)
def test_a_connection_whose_headers_never_finish_is_closed(server: Server, sent: bytes) -> None:
    with connect(server) as sock:
        if sent.startswith(COMPLETE):
            sock.sendall(COMPLETE)
            assert read_response(sock)[0] == 200
            sent = sent.removeprefix(COMPLETE)
        sock.sendall(sent)
        received = received_before_close(sock, within=HEADER_TIMEOUT_S + 2)
    # Closed without a word: a client that has not finished its headers has no request to
    # answer (web/connections.py).
    assert received == b""


def test_headers_that_arrive_in_pieces_within_the_timeout_are_served(server: Server) -> None:
    with connect(server) as sock:
        for piece in (b"GET /openapi.json HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(HEADER_TIMEOUT_S / 5)
        assert read_response(sock)[0] == 200


@pytest.mark.slow
def test_thousands_of_stalled_connections_do_not_stop_normal_clients(tmp_path: Path) -> None:
    cap = 150
    stalled_count = 2500
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < stalled_count + 200 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < stalled_count + 200:
        pytest.skip(f"this process may open only {soft} files")
    # A header timeout longer than the test: only closing stalled connections makes room.
    with (
        running_server(
            database_url(tmp_path),
            tmp_path / "server.log",
            LEADBLOCK_HEADER_TIMEOUT_S="300",
            LEADBLOCK_MAX_CONNECTIONS=str(cap),
        ) as server,
        ExitStack() as stalled,
        ThreadPoolExecutor(2) as pool,
    ):
        pid = server.process.pid
        # The defect's setting: far fewer descriptors than stalled connections.
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (256, 256))
        done = threading.Event()

        def keep_requesting(keep_alive: bool) -> list[int]:
            statuses = []
            limits = httpx.Limits(max_keepalive_connections=1 if keep_alive else 0)
            with httpx.Client(base_url=server.url, limits=limits, timeout=30) as client:
                while not done.is_set():
                    statuses.append(client.get("/openapi.json").status_code)
            return statuses

        clients = [pool.submit(keep_requesting, keep_alive) for keep_alive in (True, False)]
        most_descriptors = 0
        try:
            for batch in range(stalled_count // 100):
                for i in range(100):
                    sock = stalled.enter_context(connect(server))
                    if i % 2:
                        sock.sendall(PARTIAL)
                time.sleep(0.02)  # pacing only: lets the normal clients' requests interleave
                most_descriptors = max(most_descriptors, open_descriptors(pid))
                assert server.process.poll() is None, f"server exited after batch {batch}"
        finally:
            done.set()
        # How many requests the two clients got through is up to the machine; every one of
        # them was served. Descriptors were sampled between batches: a bound, the cap's.
        statuses = [status for client in clients for status in client.result()]
        assert statuses
        assert set(statuses) == {200}
        assert most_descriptors < cap + RESERVE_DESCRIPTORS
        assert httpx.get(f"{server.url}/openapi.json", timeout=10).status_code == 200


def test_a_cap_held_by_requests_in_progress_answers_a_json_503(tmp_path: Path) -> None:
    cap = 3
    with running_server(
        database_url(tmp_path),
        tmp_path / "server.log",
        LEADBLOCK_MAX_CONNECTIONS=str(cap),
        LEADBLOCK_BODY_TIMEOUT_S="300",
    ) as server:
        database = Database(Settings(database_url=database_url(tmp_path)))
        try:
            with database.transaction(write=True) as tx:
                _workspace, _key, api_key = workspaces.create_workspace(tx, "connections")
        finally:
            database.dispose()
        in_progress = (
            f"POST /api/v1/blocked-leads HTTP/1.1\r\nHost: x\r\nX-API-Key: {api_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n"
            "Expect: 100-continue\r\n\r\n"
        ).encode()
        with ExitStack() as holders:
            for _ in range(cap):
                sock = holders.enter_context(connect(server))
                sock.sendall(in_progress)
                # The app asked for the body: this request is in progress.
                assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
            response = httpx.get(f"{server.url}/openapi.json", timeout=10)
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/json"
            assert response.headers["retry-after"] == "1"
            assert response.headers["connection"] == "close"
            assert response.json() == {
                "success": False,
                "code": "unavailable",
                "message": "The server has too many open connections; retry in a second.",
                "errors": [],
            }
        # Once they are gone, there is room again (the server may take a moment to see it).
        deadline = time.monotonic() + 10
        while (status := httpx.get(f"{server.url}/openapi.json").status_code) != 200:
            assert time.monotonic() < deadline, status
            time.sleep(0.05)


class FakeTransport:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_the_registry_closes_the_oldest_stalled_connection_to_make_room() -> None:
    registry = ConnectionRegistry(cap=3)
    first, second, third, fourth, fifth = (FakeTransport() for _ in range(5))
    for transport in (first, second, third):
        assert registry.admit(transport)
    registry.request_started(first)
    assert registry.admit(fourth)  # closes `second`: the oldest without a request
    assert (first.closed, second.closed, third.closed) == (False, True, False)
    registry.request_started(third)
    registry.request_started(fourth)
    assert not registry.admit(fifth)  # every connection has a request: 503
    assert not any(t.closed for t in (first, third, fourth, fifth))
    registry.forget(first)
    assert registry.admit(fifth)


def test_the_cap_leaves_descriptors_in_reserve() -> None:
    assert connection_cap(1000, 1 << 20) == 1000
    assert connection_cap(1000, 256) == 256 - RESERVE_DESCRIPTORS
    assert connection_cap(1000, 10) == 1
