"""A console server of its own per test module (SQLite, two workspaces, a read-write and a
read-only key), and a headless Chromium driven by Playwright for the browser tests."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadblock.config import Settings
from leadblock.services import keys, workspaces
from leadblock.storage.db import Database
from tests.conftest import webhook_settings
from tests.fresh import fresh_sqlite_workspace
from tests.receiver import Receiver
from tests.server import Server, running_server

OUTPUT = Path(os.environ.get("LEADBLOCK_TEST_OUTPUT", Path(__file__).parents[2] / "test-output"))
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Console:
    server: Server
    workspace_id: str
    api_key: str  # read-write
    read_only_key: str
    other_api_key: str  # of another workspace

    @property
    def url(self) -> str:
        return f"{self.server.url}/console"

    def api(self, api_key: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.api, headers={"x-api-key": api_key or self.api_key}, timeout=30
        )


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console")
    fresh = fresh_sqlite_workspace(folder / "console.db", "Acme outreach")
    database = Database(Settings(database_url=fresh.url))
    with database.transaction(write=True) as tx:
        _key, read_only_key = keys.create_key(
            tx, fresh.workspace.id, read_only=True, name="auditor"
        )
        _other, _other_key, other_api_key = workspaces.create_workspace(tx, "Other agency")
    database.dispose()
    settings = webhook_settings(receiver)
    with running_server(fresh.url, folder / "server.log", **settings) as server:
        yield Console(server, fresh.workspace.id, fresh.api_key, read_only_key, other_api_key)


@contextmanager
def signed_in_client(console: Console, api_key: str) -> Iterator[httpx.Client]:
    """An HTTP client holding a console session, as a browser would after signing in."""
    with httpx.Client(base_url=console.server.url, timeout=30) as client:
        form = client.get("/console/sign-in")
        answer = client.post(
            "/console/sign-in", data={"api_key": api_key, "csrf_token": csrf_of(form.text)}
        )
        assert answer.status_code == 303, answer.text
        yield client


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = OUTPUT / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
