"""A full disk: writes answer 503 with a clear message and nothing half-written (not even the
answer kept for their Idempotency-Key), reads go on, the database stays intact, and writes work
again once there is room — without a restart.

The disk is made "full" for the server process alone with RLIMIT_FSIZE (set from outside with
prlimit), so no mount or privilege is needed; SQLite sees the failed write exactly as on a full
disk. SQLite only: PostgreSQL's own full-disk behaviour is the server's, and leadblock's side of
it (a failed statement or connection is a 503) is covered by tests/test_outage.py.
"""

from __future__ import annotations

import resource
import sqlite3
from pathlib import Path

import httpx

from tests.fresh import fresh_sqlite_workspace
from tests.server import running_server
from tests.shapes import blocked_by, blocked_lead, check_answer, error


def test_full_disk_is_503_and_recovers(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    fresh = fresh_sqlite_workspace(path, "full")
    api_key = fresh.api_key
    big = {"leads": [{"publicIdentifier": f"big-{i}", "reason": "x" * 100} for i in range(10_000)]}
    with (
        running_server(f"sqlite:///{path}", tmp_path / "server.log") as server,
        httpx.Client(base_url=server.api, headers={"x-api-key": api_key}, timeout=60) as client,
    ):
        before = {"leads": [{"publicIdentifier": "before-full"}]}
        first = client.post("/blocked-leads", json=before)
        assert first.status_code == 200
        [before_full] = first.json()["leads"]

        files = [path, Path(f"{path}-wal")]
        room = max(file.stat().st_size for file in files if file.exists()) + 4096
        pid = server.process.pid
        infinity = resource.RLIM_INFINITY
        # Only the soft limit: raising it back needs no privilege (CAP_SYS_RESOURCE may be
        # missing even for root in a sandbox).
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (room, infinity))
        try:
            # Sent with an Idempotency-Key: its answer would have been written with the leads,
            # in the commit that failed, so none is kept and the retry below runs.
            once = {"Idempotency-Key": "big-import"}
            refused = client.post("/blocked-leads", json=big, headers=once)
            assert refused.status_code == 503, refused.text
            assert refused.json() == error(
                "unavailable",
                "The database could not write to disk (full or failing); nothing was written. "
                "Free space and retry.",
            )
            assert refused.headers["Retry-After"] == "1"
            check = client.get("/blocked-leads/check", params={"publicIdentifier": "before-full"})
            assert check.json() == check_answer(blocked_by("before-full", before_full))
            listed = client.get("/blocked-leads")
            assert listed.json() == [before_full]
            assert listed.headers["X-Total-Count"] == "1"
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (infinity, infinity))

        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        accepted = client.post("/blocked-leads", json=big, headers=once)
        assert accepted.status_code == 200
        assert "Idempotent-Replayed" not in accepted.headers
        leads = accepted.json()["leads"]
        assert accepted.json() == {
            "success": True,
            "message": "10,000 lead(s) blocked.",
            "blocked": 10_000,
            "alreadyBlocked": 0,
            "extended": 0,
            "duplicates": 0,
            "leads": [
                blocked_lead(leads[i], f"big-{i}", "x" * 100, fresh.workspace.id)
                for i in range(10_000)
            ],
        }
        assert client.get("/blocked-leads").headers["X-Total-Count"] == "10001"
        replayed = client.post("/blocked-leads", json=big, headers=once)
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert replayed.content == accepted.content
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
