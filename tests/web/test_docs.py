"""/docs works offline: Swagger UI's assets come from the package (pinned, digest-checked) and
the page runs under a strict Content-Security-Policy.

A tiny app of its own (one route) with `install_docs`, served by uvicorn on 127.0.0.1 in a
thread; then headless Chromium with every request to another host aborted.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Route, expect

from leadblock.web.docs import STATIC, install_docs
from tests.console import conftest as console_fixtures
from tests.server import free_port

ROOT = Path(__file__).parents[2]
ASSET = re.compile(r'(?:src|href)="([^"]*)"')
VENDORED_DIGEST = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)
MAKEFILE_DIGEST = re.compile(r"^\t([0-9a-f]{64})  (\S+)", re.MULTILINE)
# The type of a static file comes from Python's `mimetypes`, which reads the system's
# mime.types: which of the two names `.js` gets depends on the machine, not on leadblock.
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}
ROUTE = "/widgets/{widget_id}"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Files in the package that are leadblock's own, not vendored.
OWN_FILES = {"docs-init.js", "VENDORED.md"}


def tiny_app() -> FastAPI:
    app = FastAPI(title="Tiny", docs_url=None, redoc_url=None)

    @app.get(ROUTE)
    async def widget(widget_id: int) -> dict[str, int]:
        return {"id": widget_id}

    install_docs(app)
    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(tiny_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def recorded_digests() -> dict[str, str]:
    """File name → SHA-256 as VENDORED.md records it, which must be what the Makefile pins:
    one for every file of the package's docs_static/ but leadblock's own."""
    vendored = dict(VENDORED_DIGEST.findall((STATIC / "VENDORED.md").read_text()))
    makefile = {name: digest for digest, name in MAKEFILE_DIGEST.findall(_makefile())}
    assert set(vendored) == {path.name for path in STATIC.iterdir()} - OWN_FILES
    assert vendored == makefile
    return vendored


def _makefile() -> str:
    return (ROOT / "Makefile").read_text()


def test_docs_page_references_only_same_origin_assets(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-security-policy"] == CSP
        html = page.text
        assert "http://" not in html
        assert "https://" not in html
        assert "//" not in html  # nor a scheme-relative URL
        assert "<script>" not in html  # no inline script: every <script> has a src
        assets = ASSET.findall(html)
        assert assets == [
            "/docs/static/swagger-ui.css",
            "/docs/static/favicon-32x32.png",
            "/docs/static/swagger-ui-bundle.js",
            "/docs/static/docs-init.js",
        ]
        for path in assets:
            answer = client.get(path)
            assert answer.status_code == 200, path
            content_type = answer.headers["content-type"].split(";")[0]
            assert content_type in CONTENT_TYPES[Path(path).suffix], (path, content_type)
            assert answer.headers["content-security-policy"] == CSP
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "same-origin"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        # /docs and its assets are not operations of the API.
        assert list(client.get("/openapi.json").json()["paths"]) == [ROUTE]


def test_served_assets_match_the_pinned_digests(base_url: str) -> None:
    digests = recorded_digests()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for name, digest in digests.items():
            answer = client.get(f"/docs/static/{name}")
            assert answer.status_code == 200, name
            assert hashlib.sha256(answer.content).hexdigest() == digest, name
    version = re.search(r"^SWAGGER_UI_VERSION := (\S+)$", _makefile(), re.MULTILINE)
    assert version
    # Every row of VENDORED.md's first table (file | from | version | licence) names it.
    rows = [
        line.split(" | ")
        for line in (STATIC / "VENDORED.md").read_text().splitlines()
        if line.startswith("| `") and line.count(" | ") == 3
    ]
    assert len(rows) == 5
    assert {row[2] for row in rows} == {version.group(1)}


@pytest.mark.slow
def test_docs_render_in_chromium_with_no_other_host(chromium: Browser, base_url: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    requested: list[str] = []
    elsewhere: list[str] = []
    errors: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(f"{base_url}/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.route("**/*", offline)
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    try:
        page.goto(f"{base_url}/docs")
        operation = page.locator(".opblock").first
        expect(operation).to_be_visible()
        expect(operation).to_contain_text(ROUTE)
        # Try the route from the page: the call goes out under connect-src 'self'.
        operation.locator(".opblock-summary").click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_placeholder("widget_id").fill("7")
        page.get_by_role("button", name="Execute").click()
        live = page.locator(".live-responses-table tr.response")
        expect(live.locator(".response-col_status")).to_have_text("200")
        expect(live.locator(".response-col_description")).to_contain_text('"id": 7')
        output = console_fixtures.OUTPUT / "docs"
        output.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(output / "docs-1280.png"), full_page=True)
        violations = page.evaluate("window.violations")
    finally:
        context.close()
    assert not elsewhere, f"/docs reached for another host: {elsewhere}"
    # Every request the page made (inline data: images aside), and nothing else. A set: the
    # favicon is asked for twice (the page's link, then the browser's own), when the browser
    # sees fit.
    assert {url for url in requested if not url.startswith("data:")} == {
        f"{base_url}/docs",
        f"{base_url}/docs/static/swagger-ui.css",
        f"{base_url}/docs/static/swagger-ui-bundle.js",
        f"{base_url}/docs/static/docs-init.js",
        f"{base_url}/docs/static/favicon-32x32.png",
        f"{base_url}/openapi.json",
        f"{base_url}/widgets/7",
    }
    assert not violations, f"Content-Security-Policy violations: {violations}"
    assert not errors, f"errors in the page: {errors}"
