"""A database that stays locked answers 503 in the SPEC envelope, and nothing is written."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx

from tests.fresh import fresh_sqlite_workspace
from tests.server import running_server
from tests.shapes import block_answer, blocked_by, blocked_lead, check_answer, error, free


def test_locked_database_is_503_then_recovers(tmp_path: Path) -> None:
    url, workspace, _key, api_key = fresh_sqlite_workspace(tmp_path / "locked.db", "locked")
    body = {"leads": [{"publicIdentifier": "waiting-lead"}]}
    with running_server(url, tmp_path / "server.log", LEADBLOCK_DB_BUSY_TIMEOUT_MS="200") as server:
        client = httpx.Client(base_url=server.api, headers={"x-api-key": api_key}, timeout=30)
        with client:
            client.get("/blocked-leads")  # authenticated once: lastUsedAt needs no write now
            holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            try:
                refused = client.post("/blocked-leads", json=body)
                assert refused.status_code == 503
                assert refused.json() == error(
                    "unavailable", "The database is busy; nothing was written. Retry shortly."
                )
                assert refused.headers["Retry-After"] == "1"
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert client.get("/blocked-leads").json() == []
            accepted = client.post("/blocked-leads", json=body)
            assert accepted.status_code == 200
            assert accepted.json() == block_answer(
                [blocked_lead(accepted.json()["leads"][0], "waiting-lead", None, workspace.id)],
                blocked=1,
            )
            assert client.get("/blocked-leads").json() == accepted.json()["leads"]


def test_a_write_waiting_for_another_process_does_not_stall_the_server(tmp_path: Path) -> None:
    """Small requests run on the event loop; one that would wait for SQLite's lock moves to a
    worker thread instead, so reads keep being answered while it waits, and it still lands."""
    url, _workspace, _key, api_key = fresh_sqlite_workspace(tmp_path / "waiting.db", "waiting")
    headers = {"x-api-key": api_key}
    with running_server(url, tmp_path / "server.log") as server:
        httpx.get(f"{server.api}/blocked-leads", headers=headers)  # lastUsedAt written now
        holder = sqlite3.connect(tmp_path / "waiting.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        answers: list[str] = []
        written: list[httpx.Response] = []

        def write() -> None:
            body = {"leads": [{"publicIdentifier": "patient-lead"}]}
            response = httpx.post(f"{server.api}/blocked-leads", json=body, headers=headers)
            answers.append(f"write {response.status_code}")
            written.append(response)

        writer = threading.Thread(target=write)
        try:
            writer.start()
            time.sleep(0.3)  # let the write reach the lock; the order below is what is checked
            check = httpx.get(
                f"{server.api}/blocked-leads/check",
                params={"publicIdentifier": "patient-lead"},
                headers=headers,
            )
            not_yet = check.json() == check_answer(free("patient-lead"))
            answers.append(f"check {check.status_code} {'free' if not_yet else check.text}")
        finally:
            holder.execute("COMMIT")
            holder.close()
        writer.join(timeout=30)
        assert answers == ["check 200 free", "write 200"]
        [lead] = written[0].json()["leads"]
        again = httpx.get(
            f"{server.api}/blocked-leads/check",
            params={"publicIdentifier": "patient-lead"},
            headers=headers,
        )
        assert again.json() == check_answer(blocked_by("patient-lead", lead))
