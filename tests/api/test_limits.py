"""Body limits from configuration: 413 in the SPEC envelope, before or while reading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadblock.services import workspaces
from leadblock.storage.db import Database
from tests.server import Server, running_server
from tests.shapes import error, request_error

TOO_LARGE = error("payload_too_large", "The request body is larger than the limit of 1,000 bytes.")


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
    assert response.json() == TOO_LARGE
    small = small_client.post("/blocked-leads", json={"leads": leads[:3]})
    assert small.status_code == 200
    stored = small_client.get("/blocked-leads", params={"sort": "ASC"}).json()
    assert [lead["publicIdentifier"] for lead in stored] == ["lead-0", "lead-1", "lead-2"]
    assert small.json() == {
        "success": True,
        "message": "3 lead(s) blocked.",
        "blocked": 3,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
        "leads": stored,
    }


def test_chunked_body_is_counted_while_read(small_client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"leads": ['
        for i in range(200):
            yield b'{"publicIdentifier": "lead-%d"},' % i
        yield b'{"publicIdentifier": "last"}]}'

    response = small_client.post("/blocked-leads", content=chunks())
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert small_client.get("/blocked-leads").json() == []


def test_import_has_its_own_limit(small_client: httpx.Client) -> None:
    fits = b"publicIdentifier\n" + b"".join(b"lead-%d\n" % i for i in range(150))
    assert 1000 < len(fits) < 2000
    imported = small_client.post("/blocked-leads/import", content=fits)
    assert imported.status_code == 200
    assert imported.json() == {
        "success": True,
        "message": "150 lead(s) blocked from 150 row(s).",
        "rows": 150,
        "blocked": 150,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
    }
    too_big = b"publicIdentifier\n" + b"".join(b"lead-%d\n" % i for i in range(400))
    response = small_client.post("/blocked-leads/import", content=too_big)
    assert response.status_code == 413
    assert response.json() == error(
        "payload_too_large", "The request body is larger than the limit of 2,000 bytes."
    )
    assert small_client.get("/blocked-leads").headers["X-Total-Count"] == "150"


def test_reference_routes_are_off_unless_asked_for(server: Server, small_server: Server) -> None:
    off = httpx.get(f"{server.url}/reference/hello")
    assert off.status_code == 404
    assert off.json() == error("not_found", "Not found.")
    hello = httpx.get(f"{small_server.url}/reference/hello")
    assert hello.json() == {"success": True, "message": "hello"}
    two = {"leads": [{"publicIdentifier": "a-1"}, {"publicIdentifier": "b-2"}]}
    echo = httpx.post(f"{small_server.url}/reference/echo", json=two)
    assert echo.json() == {"success": True, "leads": 2}
    empty = httpx.post(f"{small_server.url}/reference/echo", json={})
    assert empty.status_code == 400
    assert empty.json() == request_error("leads: field required.")
