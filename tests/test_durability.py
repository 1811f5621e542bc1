"""SIGKILL of the server in the middle of concurrent writes loses nothing acknowledged, on both
backends: workspace blocks, campaign blocks and dispatches (a lead whose dispatch was answered
is never handed out again)."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from leadblock.services import workspaces
from leadblock.storage.db import Database
from tests.server import running_server

WRITERS = 9  # three of each kind
RUN_SECONDS = 2.0
CAMPAIGN_LEADS = 3000


def test_acknowledged_writes_survive_sigkill(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    with database.transaction(write=True) as tx:
        _workspace, _key, api_key = workspaces.create_workspace(tx, "crash")
    headers = {"x-api-key": api_key}
    blocked: list[str] = []
    campaign_blocked: list[str] = []
    dispatched: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    with running_server(database_url, tmp_path / "first.log") as server:
        with httpx.Client(base_url=server.api, headers=headers, timeout=30) as client:
            campaign = client.post("/campaigns", json={"name": "crash"}).json()["id"]
            leads = [{"publicIdentifier": f"prospect-{i}"} for i in range(CAMPAIGN_LEADS)]
            enrolled = client.post(f"/campaigns/{campaign}/leads", json={"leads": leads})
            assert enrolled.status_code == 200

        def block(client: httpx.Client, writer: int, batch: int) -> None:
            leads = [f"w{writer}-b{batch}-{i}" for i in range(1 + batch % 20)]
            body = {"leads": [{"publicIdentifier": lead} for lead in leads]}
            if client.post("/blocked-leads", json=body).status_code == 200:
                with lock:
                    blocked.extend(leads)

        def block_in_campaign(client: httpx.Client, writer: int, batch: int) -> None:
            leads = [f"c{writer}-b{batch}-{i}" for i in range(1 + batch % 5)]
            body = {"publicIdentifiers": leads}
            answer = client.post(f"/campaigns/{campaign}/blocked-leads", json=body)
            if answer.status_code == 200:
                with lock:
                    campaign_blocked.extend(leads)

        def dispatch(client: httpx.Client, _writer: int, _batch: int) -> None:
            answer = client.post(f"/campaigns/{campaign}/dispatch", json={"limit": 5})
            if answer.status_code == 200:
                with lock:
                    dispatched.extend(lead["publicIdentifier"] for lead in answer.json()["leads"])

        kinds: list[Callable[[httpx.Client, int, int], None]] = [
            block,
            block_in_campaign,
            dispatch,
        ]

        def write(writer: int) -> None:
            with httpx.Client(base_url=server.api, headers=headers, timeout=5) as client:
                for batch in range(10_000):
                    if stop.is_set():
                        return
                    try:
                        kinds[writer % len(kinds)](client, writer, batch)
                    except httpx.TransportError:
                        return  # the server died mid-request: not acknowledged

        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(RUN_SECONDS)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        stop.set()
        for thread in threads:
            thread.join()

    # Lower bounds on progress: how much two seconds of writing get done varies by machine.
    assert len(blocked) > 100, "the writers made too little progress to prove anything"
    assert len(campaign_blocked) > 20
    assert len(dispatched) > 20
    assert len(dispatched) == len(set(dispatched)), "a lead was dispatched twice"
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with (
        running_server(database_url, tmp_path / "second.log") as server,
        httpx.Client(base_url=server.api, headers=headers, timeout=60) as client,
    ):
        assert not_blocked(client, blocked) == []
        assert not_blocked(client, campaign_blocked, campaign) == []
        statuses = {}
        cursor = None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"/campaigns/{campaign}/leads", params=params)
            statuses.update({lead["publicIdentifier"]: lead["status"] for lead in page.json()})
            cursor = page.headers.get("X-Next-Cursor")
            if cursor is None:
                break
        assert {statuses[lead] for lead in dispatched} == {"dispatched"}
        # Draining the campaign now never hands out an acknowledged dispatch again.
        again: list[str] = []
        while leads := client.post(f"/campaigns/{campaign}/dispatch", json={"limit": 1000}).json()[
            "leads"
        ]:
            again += [lead["publicIdentifier"] for lead in leads]
        assert set(again).isdisjoint(dispatched)
        assert len(again) == len(set(again))
        # A bound, not a count: dispatches the kill cut off (made in the database, never
        # answered) are in neither list, and how many there were is up to the moment of the
        # kill.
        assert len(again) + len(dispatched) <= CAMPAIGN_LEADS
        prospects = {f"prospect-{i}" for i in range(CAMPAIGN_LEADS)}
        assert set(again) | set(dispatched) <= prospects


def not_blocked(
    client: httpx.Client, identifiers: list[str], campaign: str | None = None
) -> list[str]:
    missing = []
    for start in range(0, len(identifiers), 10_000):
        body: dict[str, object] = {"publicIdentifiers": identifiers[start : start + 10_000]}
        if campaign:
            body["campaignId"] = campaign
        answer = client.post("/blocked-leads/check", json=body)
        missing += [r["input"] for r in answer.json()["results"] if r["blocked"] is not True]
    return missing
