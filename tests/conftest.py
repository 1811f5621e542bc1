"""Fixtures: a real SQLite file, a real `leadblock serve` process on 127.0.0.1, and a fresh
workspace (with its own key) for every test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadblock.config import Settings
from leadblock.domain.records import Caller
from leadblock.services import keys, workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate

LEADBLOCK = str(Path(sys.executable).parent / "leadblock")


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"


@dataclass(frozen=True)
class TenantFixture:
    workspace_id: str
    api_key: str
    client: httpx.Client

    @property
    def caller(self) -> Caller:
        return Caller(workspace_id=self.workspace_id, key_id=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database_url: str, log: Path, **env: str) -> Iterator[Server]:
    """`leadblock serve` in its own process, stopped (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    environment = {**os.environ, "LEADBLOCK_DATABASE_URL": database_url, **env}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [LEADBLOCK, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_listening(server)
        yield server
    finally:
        stop(process)


def wait_until_listening(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log.read_text()}")
        try:
            httpx.get(f"{server.url}/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not start:\n{server.log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'leadblock.db'}"


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    database = Database(Settings(database_url=database_url))
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(database.url, log) as running:
        yield running


def new_tenant(database: Database, server: Server) -> TenantFixture:
    with database.transaction(write=True) as tx:
        workspace, _key, plain = workspaces.create_workspace(tx, "test")
    client = httpx.Client(base_url=server.api, headers={"x-api-key": plain}, timeout=60)
    return TenantFixture(workspace.id, plain, client)


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
