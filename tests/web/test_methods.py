"""Methods on every route of a real server: HEAD is served wherever GET is (GET's status and
headers, no body), and a 405's `Allow` lists exactly what the path serves, each method of it
really answered. The routes come from the app itself, documented or not (probes, console)."""

from __future__ import annotations

import re
import tempfile

import httpx
import pytest
from starlette.routing import Route

from leadblock.api.routes import health, prometheus
from leadblock.app import create_app
from leadblock.config import Settings
from leadblock.console.pages import (
    account,
    audit,
    blocklist,
    campaigns,
    companies,
    transfer,
    webhooks,
)
from tests.conftest import TenantFixture
from tests.server import Server


def _routes() -> list[tuple[str, frozenset[str]]]:
    """Every documented operation's path, and the routes of every router kept out of the
    document (probes, metrics, console pages)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_url=f"sqlite:///{folder}/routes.db", metrics=True))
        documented = [
            (path, frozenset(method.upper() for method in item))
            for path, item in app.openapi()["paths"].items()
        ]
    undocumented = [
        (route.path, frozenset(route.methods))
        for router in (health.router, prometheus.router, *(page.router for page in PAGES))
        for route in router.routes
        if isinstance(route, Route)
    ]
    return documented + undocumented


PAGES = (account, audit, blocklist, campaigns, companies, transfer, webhooks)
ROUTES = _routes()
# Record ids, campaign ids and other path parameters: a well-formed id of nothing, so every
# method is answered without changing anything.
PARAMETER = re.compile(r"\{[^}]+\}")


def concrete(path: str) -> str:
    return PARAMETER.sub("0ABCDEFGHJKMNPQRSTVWXYZ012", path)


def url(server: Server, path: str) -> str:
    return server.url + concrete(path)


@pytest.mark.parametrize(
    "path", sorted({path for path, methods in ROUTES if "GET" in methods and path != "/metrics"})
)
def test_head_is_get_without_the_body(server: Server, tenant: TenantFixture, path: str) -> None:
    headers = {"x-api-key": tenant.api_key}
    get = httpx.get(url(server, path), headers=headers)
    head = httpx.head(url(server, path), headers=headers)
    assert head.status_code == get.status_code != 405
    assert head.content == b""
    assert head.headers.get("content-type") == get.headers.get("content-type")
    if "content-length" in get.headers and path != "/api/v1/blocked-leads/export":
        assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize("path", sorted({path for path, _ in ROUTES if path != "/metrics"}))
def test_a_405_allows_exactly_what_the_path_serves(
    server: Server, tenant: TenantFixture, path: str
) -> None:
    refused = httpx.request("PUT", url(server, path), headers={"x-api-key": tenant.api_key})
    assert refused.status_code == 405, refused.text
    allowed = refused.headers["Allow"].split(", ")
    served = set().union(*(methods for other, methods in ROUTES if other == path))
    assert set(allowed) >= served
    assert ("HEAD" in allowed) == ("GET" in allowed)
    for method in allowed:
        # Each listed method reaches a route: whatever it answers, never 405.
        answer = httpx.request(
            method, url(server, path), headers={"x-api-key": tenant.api_key}, content=b"{}"
        )
        assert answer.status_code != 405, (method, answer.text)
