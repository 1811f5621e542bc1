"""`/healthz` and `/readyz`: no key, no rate limit; ready only with the database answering and
its schema this code's (the outage half is in tests/test_outage.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadblock.storage.db import Database
from leadblock.storage.migrate import HEAD_REVISION
from tests.server import Server, running_server


def test_both_answer_without_a_key(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


@pytest.fixture
def strict_server(database: Database, tmp_path: Path) -> Iterator[Server]:
    """A server whose address budget for requests without a key is 3 a minute."""
    with running_server(
        database.url,
        tmp_path / "server.log",
        LEADBLOCK_RATE_LIMIT="3/minute",
        LEADBLOCK_AUTH_FAILURE_RATE_LIMIT="3/minute",
    ) as running:
        yield running


def test_probes_are_never_rate_limited(strict_server: Server) -> None:
    url = strict_server.url
    for _ in range(20):
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert httpx.get(f"{url}/readyz").status_code == 200
    # The same address is limited elsewhere: the budget is real.
    statuses = [httpx.get(f"{url}/console/sign-in").status_code for _ in range(5)]
    assert 429 in statuses


def test_not_ready_while_the_schema_is_not_this_servers(server: Server, database: Database) -> None:
    def set_revision(revision: str) -> None:
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE alembic_version SET version_num = ?"
                if database.dialect == "sqlite"
                else "UPDATE alembic_version SET version_num = %s",
                (revision,),
            )

    set_revision("0011")  # as if a newer or older server had migrated it elsewhere
    try:
        behind = httpx.get(f"{server.url}/readyz")
        assert behind.status_code == 503
        assert behind.json() == {
            "status": "unavailable",
            "reason": "the database schema is not this server's",
        }
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # alive all the same
    finally:
        set_revision(HEAD_REVISION)
    assert httpx.get(f"{server.url}/readyz").status_code == 200
