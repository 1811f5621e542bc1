"""Several stateless `leadblock serve` processes on one PostgreSQL database (issue #4)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from leadblock.console.session import SESSION_COOKIE
from tests.console.conftest import csrf_of
from tests.postgres import PostgresCluster
from tests.server import Server, running_server
from tests.shapes import blocked_by, check_answer, error
from tests.test_cli import run

INVALID_KEY = error("unauthenticated", "Invalid or revoked API key.")


def process_kind(pid: str) -> str:
    """What a child of `leadblock serve --workers N` is, from its command line."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    if "multiprocessing.spawn import spawn_main" in command:
        return "worker"
    if "multiprocessing.resource_tracker import main" in command:
        return "resource tracker"
    return command


@pytest.fixture
def two_servers(postgres: PostgresCluster, tmp_path: Path) -> Iterator[tuple[str, list[Server]]]:
    url = postgres.create_database(f"leadblock_{tmp_path.name.lower().replace('-', '_')}")
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(url, tmp_path / f"{n}.log")) for n in "ab"]
        yield url, servers


def test_two_servers_share_blocks_dispatch_and_revocation(
    two_servers: tuple[str, list[Server]],
) -> None:
    url, (first, second) = two_servers
    created = json.loads(run(url, "workspace", "create", "shared", "--json").stdout)
    headers = {"x-api-key": created["apiKey"]}
    a = httpx.Client(base_url=first.api, headers=headers, timeout=60)
    b = httpx.Client(base_url=second.api, headers=headers, timeout=60)
    with a, b:
        campaign = a.post("/campaigns", json={"name": "shared"}).json()["id"]
        identifiers = [f"lead-{i:04d}" for i in range(600)]
        for start in range(0, 600, 300):
            leads = [{"publicIdentifier": ident} for ident in identifiers[start : start + 300]]
            assert b.post(f"/campaigns/{campaign}/leads", json={"leads": leads}).status_code == 200

        # A block acknowledged by one server is honoured by the other on the very next request.
        blocked = identifiers[:50]
        answer = a.post(
            "/blocked-leads", json={"leads": [{"publicIdentifier": i} for i in blocked]}
        )
        assert answer.status_code == 200
        checked = b.post("/blocked-leads/check", json={"publicIdentifiers": blocked}).json()
        leads = answer.json()["leads"]
        assert checked == check_answer(
            *(blocked_by(ident, lead) for ident, lead in zip(blocked, leads, strict=True))
        )
        first_batch = b.post(f"/campaigns/{campaign}/dispatch", json={"limit": 10}).json()["leads"]
        assert [lead["publicIdentifier"] for lead in first_batch] == identifiers[50:60]

        # Six dispatchers spread over both servers never receive a lead twice.
        received: list[str] = []
        lock = threading.Lock()

        def dispatcher(api: str) -> None:
            with httpx.Client(base_url=api, headers=headers, timeout=60) as own:
                while True:
                    answer = own.post(f"/campaigns/{campaign}/dispatch", json={"limit": 7})
                    assert answer.status_code == 200, answer.text
                    leads = [lead["publicIdentifier"] for lead in answer.json()["leads"]]
                    if not leads:
                        return
                    with lock:
                        received.extend(leads)

        threads = [
            threading.Thread(target=dispatcher, args=(server.api,))
            for server in (first, second) * 3
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(received) == len(set(received))
        assert sorted(received) == identifiers[60:]

        # A key revoked (through the CLI, on the shared database) is refused by both at once.
        key_id = created["apiKey"].split("_")[1]
        run(url, "key", "revoke", key_id)
        blocked = {"publicIdentifier": identifiers[0]}
        for refused in (
            a.get("/blocked-leads"),
            b.get("/blocked-leads"),
            a.get("/blocked-leads/check", params=blocked),
            b.get("/blocked-leads/check", params=blocked),
        ):
            assert refused.status_code == 401
            assert refused.json() == INVALID_KEY


def test_serve_workers_runs_that_many_processes(postgres: PostgresCluster, tmp_path: Path) -> None:
    url = postgres.create_database("leadblock_workers")
    created = json.loads(run(url, "workspace", "create", "workers", "--json").stdout)
    with running_server(url, tmp_path / "workers.log", "--workers", "3") as server:
        headers = {"x-api-key": created["apiKey"]}
        with httpx.Client(base_url=server.api, headers=headers, timeout=60) as client:
            for n in range(30):
                leads = [{"publicIdentifier": f"worker-lead-{n}"}]
                assert client.post("/blocked-leads", json={"leads": leads}).status_code == 200
            assert client.get("/blocked-leads").headers["X-Total-Count"] == "30"
        children = subprocess.run(
            ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        # uvicorn's supervisor starts every worker before any serves, with multiprocessing's
        # "spawn", which also starts that module's resource tracker (a process of its own).
        kinds = {pid: process_kind(pid) for pid in children}
        assert sorted(kinds.values()) == ["resource tracker", "worker", "worker", "worker"]
        workers = {pid for pid, kind in kinds.items() if kind == "worker"}
        # Each worker logs its start-up; the last may still be starting when the first serves.
        deadline = time.monotonic() + 30
        while server.log.read_text().count("Application startup complete") < 3:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        log = server.log.read_text()
        assert log.count("Application startup complete") == 3
        assert set(re.findall(r"Started server process \[(\d+)\]", log)) == workers


def test_two_servers_share_console_sessions(two_servers: tuple[str, list[Server]]) -> None:
    """A console session signed in on one server is good on every other (the signing secret
    lives in the database), and signing out on one ends it on all."""
    url, (first, second) = two_servers
    api_key = json.loads(run(url, "workspace", "create", "console", "--json").stdout)["apiKey"]
    with httpx.Client(base_url=first.url, timeout=30) as a:
        form = a.get("/console/sign-in")
        signed_in = a.post(
            "/console/sign-in", data={"api_key": api_key, "csrf_token": csrf_of(form.text)}
        )
        assert signed_in.status_code == 303
        cookie = {SESSION_COOKIE: a.cookies[SESSION_COOKIE]}
        with httpx.Client(base_url=second.url, cookies=cookie, timeout=30) as b:
            page = b.get("/console/blocklist")
            assert page.status_code == 200
            added = b.post(
                "/console/blocklist/add",
                data={"identifiers": "console-on-b", "csrf_token": csrf_of(page.text)},
            )
            assert added.status_code == 303
            listed = a.get("/console/blocklist").text
            assert re.findall(r'data-label="Public identifier"><code>(.*?)</code>', listed) == [
                "console-on-b"
            ]
            a.post("/console/sign-out", data={"csrf_token": csrf_of(page.text)})
            after = b.get("/console/blocklist")
            assert after.status_code == 303
            assert after.headers["location"] == "/console/sign-in"
