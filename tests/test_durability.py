"""Every acknowledged block survives SIGKILL of the server in the middle of concurrent writes."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from tests.server import running_server

WRITERS = 8
RUN_SECONDS = 2.0


def test_acknowledged_blocks_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    database = Database(Settings(database_url=f"sqlite:///{path}"))
    migrate(database)
    with database.transaction(write=True) as tx:
        _workspace, _key, api_key = workspaces.create_workspace(tx, "crash")
    database.dispose()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    with running_server(f"sqlite:///{path}", tmp_path / "first.log") as server:

        def write(writer: int) -> None:
            with httpx.Client(base_url=server.api, headers={"x-api-key": api_key}) as client:
                for batch in range(10_000):
                    if stop.is_set():
                        return
                    leads = [f"w{writer}-b{batch}-{i}" for i in range(1 + batch % 20)]
                    try:
                        response = client.post(
                            "/blocked-leads",
                            json={"leads": [{"publicIdentifier": lead} for lead in leads]},
                            timeout=5,
                        )
                    except httpx.TransportError:
                        return  # the server died mid-request: not acknowledged
                    if response.status_code == 200:
                        with lock:
                            acknowledged.extend(leads)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(RUN_SECONDS)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        stop.set()
        for thread in threads:
            thread.join()

    assert len(acknowledged) > 100, "the writers made too little progress to prove anything"
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with running_server(f"sqlite:///{path}", tmp_path / "second.log") as server:
        missing = []
        with httpx.Client(base_url=server.api, headers={"x-api-key": api_key}) as client:
            for start in range(0, len(acknowledged), 10_000):
                chunk = acknowledged[start : start + 10_000]
                answer = client.post("/blocked-leads/check", json={"publicIdentifiers": chunk})
                missing += [
                    r["input"] for r in answer.json()["results"] if r["blocked"] is not True
                ]
        assert missing == []
