"""The console behind the things production puts in front of it: a rate limit, and a TLS
reverse proxy whose forwarded headers are trusted only when configured."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from leadblock.console.session import SESSION_COOKIE
from tests.console.conftest import csrf_of
from tests.fresh import fresh_sqlite_workspace
from tests.server import Server, running_server
from tests.shapes import error

# The session cookie as the console sets it, but for `Secure` (which only HTTPS gets).
SESSION = re.compile(
    rf"{SESSION_COOKIE}=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; HttpOnly; Max-Age={8 * 3600}; "
    "Path=/console; SameSite=strict"
)


def session_cookie(answer: httpx.Response) -> str:
    return next(
        value for value in answer.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE)
    )


def sign_in(client: httpx.Client, api_key: str, **headers: str) -> httpx.Response:
    form = client.get("/console/sign-in", headers=headers)
    return client.post(
        "/console/sign-in",
        data={"api_key": api_key, "csrf_token": csrf_of(form.text)},
        headers=headers,
    )


@pytest.fixture
def workspace_url(tmp_path: Path) -> tuple[str, str]:
    fresh = fresh_sqlite_workspace(tmp_path / "deploy.db", "deploy")
    return fresh.url, fresh.api_key


def test_console_requests_count_against_the_sessions_key(
    tmp_path: Path, workspace_url: tuple[str, str]
) -> None:
    url, api_key = workspace_url
    with (
        running_server(url, tmp_path / "log", LEADBLOCK_RATE_LIMIT="4/minute") as server,
        httpx.Client(base_url=server.url) as browser,
    ):
        assert sign_in(browser, api_key).status_code == 303  # 2 requests by address
        pages = [browser.get("/console/blocklist").status_code for _ in range(5)]
        assert pages == [200, 200, 200, 200, 429]  # the key's own budget of 4
        # The address still has budget left: the pages were not counted against it.
        with httpx.Client(base_url=server.url) as neighbour:
            assert neighbour.get("/console/sign-in").status_code == 200
        # The API, same key: the same budget, already spent.
        answer = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": api_key})
        assert answer.status_code == 429
        reset = answer.headers["Retry-After"]
        assert 0 < int(reset) <= 60  # what is left of the minute: the only thing time decides
        message = f"Rate limit of 4 per 1 minute exceeded for this API key; retry in {reset} s."
        assert answer.json() == error("rate_limited", message)


def test_https_behind_a_trusted_proxy_marks_the_cookie_secure(
    tmp_path: Path, workspace_url: tuple[str, str]
) -> None:
    url, api_key = workspace_url
    proxy = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"}
    with running_server(url, tmp_path / "untrusted.log") as server:
        untrusted = _signed_in_cookie(server, api_key, proxy)
    assert not untrusted.endswith("; Secure")  # anyone could send those headers
    assert SESSION.fullmatch(untrusted), untrusted
    with running_server(
        url, tmp_path / "trusted.log", LEADBLOCK_FORWARDED_ALLOW_IPS="127.0.0.1"
    ) as server:
        trusted = _signed_in_cookie(server, api_key, proxy)
        plain = _signed_in_cookie(server, api_key, {})
    assert SESSION.fullmatch(trusted.removesuffix("; Secure")), trusted
    assert trusted.endswith("; Secure")
    assert SESSION.fullmatch(plain), plain


def _signed_in_cookie(server: Server, api_key: str, headers: dict[str, str]) -> str:
    """The session cookie a sign-in through the proxy sets. The sign-in nonce cookie is sent
    back by hand: a client on plain HTTP keeps no Secure cookie, a browser on HTTPS would."""
    with httpx.Client(base_url=server.url) as client:
        form = client.get("/console/sign-in", headers=headers)
        nonce = form.headers["set-cookie"].split(";")[0]
        client.cookies.clear()
        answer = client.post(
            "/console/sign-in",
            data={"api_key": api_key, "csrf_token": csrf_of(form.text)},
            headers={**headers, "cookie": nonce},
        )
    assert answer.status_code == 303, answer.text
    return session_cookie(answer)
