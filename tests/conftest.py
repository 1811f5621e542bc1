"""Fixtures: a real SQLite file, a real `leadblock serve` process on 127.0.0.1, and a fresh
workspace (with its own key) for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadblock.config import Settings
from leadblock.domain.records import Caller
from leadblock.services import keys, workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from tests.debian import ensure_program
from tests.postgres import PostgresCluster, postgres_cluster
from tests.receiver import Receiver, running_receiver
from tests.server import Server, running_server


@dataclass(frozen=True)
class TenantFixture:
    workspace_id: str
    workspace: int  # the workspace's number, the key of its rows
    api_key: str
    client: httpx.Client

    @property
    def caller(self) -> Caller:
        return Caller(workspace_id=self.workspace_id, workspace=self.workspace, key_id=None)


# Every storage, API and CLI test runs on each backend. LEADBLOCK_TEST_BACKENDS=sqlite narrows
# a local run; CI runs both.
BACKENDS = os.environ.get("LEADBLOCK_TEST_BACKENDS", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'leadblock.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database("leadblock_test")


@pytest.fixture(params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of this test's own, which no other test's server uses (for what
    the session's shared database cannot show: its webhook deliveries, its totals)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.create_database(f"own_{tmp_path.name.lower().replace('-', '_')}")
    database = Database(Settings(database_url=url))
    migrate(database)
    database.dispose()
    return url


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    database = Database(Settings(database_url=database_url))
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def webhook_settings(receiver: Receiver, **overrides: str) -> dict[str, str]:
    """Server settings that let webhooks reach `receiver` on 127.0.0.1 over http, retrying
    within seconds."""
    return {
        "LEADBLOCK_WEBHOOK_ALLOW_HTTP": "true",
        "LEADBLOCK_WEBHOOK_ALLOWED_HOSTS": receiver.host_port,
        "LEADBLOCK_WEBHOOK_RETRY_DELAYS_S": "0.2,0.4,0.8",
        "LEADBLOCK_WEBHOOK_TIMEOUT_S": "2",
        **overrides,
    }


@pytest.fixture(scope="session")
def server(
    database: Database, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(database.url, log, **webhook_settings(receiver)) as running:
        yield running


def new_tenant(database: Database, server: Server) -> TenantFixture:
    with database.transaction(write=True) as tx:
        workspace, _key, plain = workspaces.create_workspace(tx, "test")
    client = httpx.Client(base_url=server.api, headers={"x-api-key": plain}, timeout=60)
    return TenantFixture(workspace.id, workspace.number, plain, client)


@pytest.fixture
def tenant(database: Database, server: Server) -> Iterator[TenantFixture]:
    tenant = new_tenant(database, server)
    yield tenant
    tenant.client.close()


@pytest.fixture
def other_tenant(database: Database, server: Server) -> Iterator[TenantFixture]:
    tenant = new_tenant(database, server)
    yield tenant
    tenant.client.close()


@pytest.fixture
def read_only_client(
    database: Database, server: Server, tenant: TenantFixture
) -> Iterator[httpx.Client]:
    with database.transaction(write=True) as tx:
        _key, plain = keys.create_key(tx, tenant.workspace_id, read_only=True)
    with httpx.Client(base_url=server.api, headers={"x-api-key": plain}, timeout=60) as client:
        yield client


# One browser for the whole session: Playwright's sync API runs one event loop per thread, so
# a second instance (console tests, then /docs tests) cannot start beside the first.
@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium (installed when missing), headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = ensure_program("chromium", "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
