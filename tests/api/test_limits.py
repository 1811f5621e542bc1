"""Body limits from configuration: 413 in the SPEC envelope, before or while reading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadblock.services import workspaces
from leadblock.storage.db import Database
from tests.server import Server, running_server


@pytest.fixture(scope="module")
def small_server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log: Path = tmp_path_factory.mktemp("small") / "server.log"
    limits = {"LEADBLOCK_MAX_BODY_BYTES": "1000", "LEADBLOCK_MAX_IMPORT_BYTES": "2000"}
    with running_server(database.url, log, **limits, LEADBLOCK_REFERENCE_ROUTES="true") as server:
        yield server


@pytest.fixture
def small_client(database: Database, small_server: Server) -> Iterator[httpx.Client]:
    with database.transaction(write=True) as tx:
        _workspace, _key, plain = workspaces.create_workspace(tx, "limits")
    with httpx.Client(base_url=small_server.api, headers={"x-api-key": plain}) as client:
        yield client


def test_json_body_over_the_limit_is_413(small_client: httpx.Client) -> None:
    leads = [{"publicIdentifier": f"lead-{i}"} for i in range(100)]
    response = small_client.post("/blocked-leads", json={"leads": leads})
    assert response.status_code == 413
    assert response.json()["success"] is False
    assert "1,000 bytes" in response.json()["message"]
    small = small_client.post("/blocked-leads", json={"leads": leads[:3]})
    assert small.status_code == 200


def test_chunked_body_is_counted_while_read(small_client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"leads": ['
        for i in range(200):
            yield b'{"publicIdentifier": "lead-%d"},' % i
        yield b'{"publicIdentifier": "last"}]}'

    response = small_client.post("/blocked-leads", content=chunks())
    assert response.status_code == 413
    assert response.json()["success"] is False


def test_import_has_its_own_limit(small_client: httpx.Client) -> None:
    fits = b"publicIdentifier\n" + b"".join(b"lead-%d\n" % i for i in range(150))
    assert 1000 < len(fits) < 2000
    assert small_client.post("/blocked-leads/import", content=fits).status_code == 200
    too_big = b"publicIdentifier\n" + b"".join(b"lead-%d\n" % i for i in range(400))
    response = small_client.post("/blocked-leads/import", content=too_big)
    assert response.status_code == 413
    assert response.json()["success"] is False


def test_reference_routes_are_off_unless_asked_for(server: Server, small_server: Server) -> None:
    assert httpx.get(f"{server.url}/reference/hello").status_code == 404
    assert httpx.get(f"{small_server.url}/reference/hello").json()["message"] == "hello"
    two = {"leads": [{"publicIdentifier": "a-1"}, {"publicIdentifier": "b-2"}]}
    echo = httpx.post(f"{small_server.url}/reference/echo", json=two)
    assert echo.json() == {"success": True, "leads": 2}
    assert httpx.post(f"{small_server.url}/reference/echo", json={}).status_code == 400
