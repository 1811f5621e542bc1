"""The console answers too-large and too-slow bodies as the API does (413, 408), as its own error
page, never a 500 with a stack trace; and a form that is not UTF-8 is a 400, never stored."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.console.conftest import csrf_of
from tests.fresh import fresh_sqlite_workspace
from tests.server import Server, running_server

LIMIT = 4096
PAGES = ("/console/sign-in", "/console/blocklist/add", "/console/import")


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> tuple[Server, str]:
    folder = tmp_path_factory.mktemp("limits")
    fresh = fresh_sqlite_workspace(folder / "limits.db", "Limits")
    with running_server(
        fresh.url,
        folder / "server.log",
        LEADBLOCK_MAX_BODY_BYTES=str(LIMIT),
        LEADBLOCK_MAX_IMPORT_BYTES=str(LIMIT),
        LEADBLOCK_BODY_TIMEOUT_S="1",
    ) as server:
        yield server, fresh.api_key  # type: ignore[misc]


def sign_in(client: httpx.Client, api_key: str) -> str:
    """Sign `client` in; the CSRF token of its session."""
    form = client.get("/console/sign-in")
    client.post("/console/sign-in", data={"api_key": api_key, "csrf_token": csrf_of(form.text)})
    return csrf_of(client.get("/console/blocklist").text)


def assert_error_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert re.search(rf"\b{status}\b", response.text)


@pytest.mark.parametrize("path", PAGES)
def test_a_body_over_the_limit_is_a_413_page(small_server: tuple[Server, str], path: str) -> None:
    server, api_key = small_server
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = sign_in(client, api_key)
        declared = client.post(
            path,
            content=b"identifiers=" + b"x" * (2 * LIMIT) + b"&csrf_token=" + csrf.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert_error_page(declared, 413)

        def chunks() -> object:  # no Content-Length: counted as it arrives
            yield b"identifiers="
            for _ in range(4):
                yield b"x" * LIMIT

        chunked = client.post(
            path,
            content=chunks(),  # type: ignore[arg-type]
            headers={"content-type": "application/x-www-form-urlencoded", "x-csrf-token": csrf},
        )
        assert_error_page(chunked, 413)
    assert "Traceback" not in Path(server.log).read_text()


@pytest.mark.parametrize("path", PAGES)
def test_a_body_too_slow_is_a_408_page(small_server: tuple[Server, str], path: str) -> None:
    server, _api_key = small_server
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: 100\r\nOrigin: {server.url}\r\n\r\nidentifiers=".encode()
        )
        time.sleep(1.5)  # the body timeout is 1 s
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"text/html" in answer.split(b"\r\n\r\n")[0].lower()
    assert "Traceback" not in Path(server.log).read_text()


def test_a_form_that_is_not_utf8_is_refused(small_server: tuple[Server, str]) -> None:
    server, api_key = small_server
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = sign_in(client, api_key)
        response = client.post(
            "/console/blocklist/add",
            content=b"identifiers=jo%FF%FEhn&csrf_token=" + csrf.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert_error_page(response, 400)
        assert "not valid UTF-8" in response.text
        api = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": api_key})
        assert api.headers["X-Total-Count"] == "0"
