"""PostgreSQL goes away: requests answer 503 in the SPEC envelope instead of hanging or 500;
when it comes back the service recovers by itself, and nothing acknowledged is lost."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.postgres import postgres_cluster
from tests.server import running_server
from tests.shapes import block_answer, error
from tests.test_cli import run

UNAVAILABLE = error(
    "unavailable", "The database is unavailable; nothing was written. Retry shortly."
)


def test_database_outage_is_503_and_recovers_without_restart(tmp_path: Path) -> None:
    with postgres_cluster() as cluster:
        url = cluster.create_database("leadblock_outage")
        api_key = json.loads(run(url, "workspace", "create", "outage", "--json").stdout)["apiKey"]
        with running_server(
            url, tmp_path / "server.log", LEADBLOCK_DB_CONNECT_TIMEOUT_S="2"
        ) as server:
            # A client timeout well above the server's: a hanging request fails the test.
            client = httpx.Client(base_url=server.api, headers={"x-api-key": api_key}, timeout=20)
            with client:
                before = {"leads": [{"publicIdentifier": "before-outage"}]}
                assert client.post("/blocked-leads", json=before).status_code == 200
                assert httpx.get(f"{server.url}/readyz").status_code == 200

                cluster.stop()
                # Not ready, and says so at once; alive all the same (no database needed).
                not_ready = httpx.get(f"{server.url}/readyz", timeout=20)
                assert (not_ready.status_code, not_ready.json()) == (
                    503,
                    {"status": "unavailable", "reason": "the database does not answer"},
                )
                assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
                during = {"leads": [{"publicIdentifier": "during-outage"}]}
                for method, path, body in (
                    ("POST", "/blocked-leads", during),
                    ("GET", "/blocked-leads", None),
                    ("GET", "/blocked-leads/check?publicIdentifier=before-outage", None),
                ):
                    response = client.request(method, path, json=body)
                    assert response.status_code == 503, response.text
                    # The pool looks at a connection before handing it out: a dead one is
                    # replaced, and the new one cannot connect.
                    assert response.json() == UNAVAILABLE
                    assert response.headers["Retry-After"] == "1"

                cluster.start()
                deadline = time.monotonic() + 30
                while True:
                    response = client.get("/blocked-leads")
                    if response.status_code == 200 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                assert response.status_code == 200, "the service did not recover by itself"
                assert httpx.get(f"{server.url}/readyz").status_code == 200
                assert [lead["publicIdentifier"] for lead in response.json()] == ["before-outage"]
                after = client.post("/blocked-leads", json=during)
                assert after.status_code == 200
                stored = client.get("/blocked-leads", params={"search": "during"}).json()
                assert after.json() == block_answer(stored, blocked=1)
                assert [lead["publicIdentifier"] for lead in stored] == ["during-outage"]


def test_the_first_requests_after_a_restart_find_no_dead_connection(tmp_path: Path) -> None:
    """Pooled connections die with a restart of PostgreSQL: each is found dead when the pool
    hands it out (no round trip), and the requests after the restart all succeed."""
    with postgres_cluster() as cluster:
        url = cluster.create_database("leadblock_restart")
        api_key = json.loads(run(url, "workspace", "create", "restart", "--json").stdout)["apiKey"]
        with running_server(url, tmp_path / "server.log", LEADBLOCK_DB_POOL_SIZE="4") as server:
            client = httpx.Client(base_url=server.api, headers={"x-api-key": api_key}, timeout=20)
            with client:

                def requests(tag: str) -> list[int]:
                    block = {"leads": [{"publicIdentifier": f"lead-{tag}"}]}
                    check = {"publicIdentifier": f"lead-{tag}"}
                    return [
                        client.post("/blocked-leads", json=block).status_code,
                        client.get("/blocked-leads/check", params=check).status_code,
                        client.get("/blocked-leads").status_code,
                    ]

                # Several requests at once, so the pool holds several connections.
                with ThreadPoolExecutor(8) as pool:
                    before = list(pool.map(requests, [f"before-{n}" for n in range(16)]))
                assert {status for statuses in before for status in statuses} == {200}
                cluster.stop()
                cluster.start()
                assert requests("after-0") == [200, 200, 200]
                with ThreadPoolExecutor(8) as pool:
                    answers = list(pool.map(requests, [f"after-{n}" for n in range(1, 17)]))
                assert {status for statuses in answers for status in statuses} == {200}
                blocked = client.get("/blocked-leads", params={"limit": 100}).json()
                assert len(blocked) == 33
