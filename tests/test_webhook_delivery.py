"""Webhook delivery by real server processes on each backend: a SIGKILL mid-delivery, a slow
receiver, and many writers committing out of order with two servers delivering."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from tests.conftest import webhook_settings
from tests.receiver import Behaviour, Receiver, eventually
from tests.server import Server, running_server


def new_key(url: str) -> str:
    database = Database(Settings(database_url=url))
    try:
        with database.transaction(write=True) as tx:
            _workspace, _key, plain = workspaces.create_workspace(tx, "webhooks")
        return plain
    finally:
        database.dispose()


def client(server: Server, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.api, headers={"x-api-key": key}, timeout=60)


def endpoint(api: httpx.Client, receiver: Receiver) -> tuple[dict[str, Any], str]:
    path = receiver.new_path()
    webhook = api.post("/webhooks", json={"url": receiver.url(path)}).json()
    receiver.verify_with(path, webhook["secret"])
    return webhook, path


def trail_ids(api: httpx.Client) -> list[str]:
    """Every event id of the trail, oldest first."""
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = api.get("/blocked-leads/events", params=params)
        ids.extend(event["id"] for event in page.json())
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            return list(reversed(ids))
        params = {"limit": 1000, "cursor": cursor}


def block(api: httpx.Client, identifiers: list[str]) -> None:
    answer = api.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": i} for i in identifiers]}
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def servers(own_database_url: str, receiver: Receiver, tmp_path: Path) -> Iterator[list[Server]]:
    """Two server processes on one database, both delivering."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                running_server(
                    own_database_url, tmp_path / f"{n}.log", **webhook_settings(receiver)
                )
            )
            for n in "ab"
        ]


def test_many_writers_two_servers_every_event_once_in_the_trails_order(
    servers: list[Server], own_database_url: str, receiver: Receiver, request: pytest.FixtureRequest
) -> None:
    """Writers on both servers commit out of order (large and small requests at once); the
    receiver sees every event of the trail exactly in the trail's order."""
    key = new_key(own_database_url)
    apis = [client(server, key) for server in servers]
    for api in apis:
        request.addfinalizer(api.close)
    _webhook, path = endpoint(apis[0], receiver)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            api = apis[number % 2]
            for request in range(20):
                size = 1500 if number == 0 and request % 5 == 0 else 3
                block(api, [f"w{number}-r{request}-{n}" for n in range(size)])
                if request % 4 == 3:
                    api.request(
                        "DELETE",
                        "/blocked-leads",
                        json={"publicIdentifiers": [f"w{number}-r{request}-0"]},
                    )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = trail_ids(apis[0])
    assert len(expected) > 6000
    received = receiver.wait_for(path, len(expected), timeout=120)
    delivered = [item.webhook_id for item in received]
    assert delivered == expected  # no failure: no retry, no duplicate, nothing skipped
    assert all(item.verified for item in received)


def test_sigkill_mid_delivery_loses_nothing(
    own_database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    key = new_key(own_database_url)
    settings = webhook_settings(receiver)
    with (
        running_server(own_database_url, tmp_path / "first.log", **settings) as server,
        client(server, key) as api,
    ):
        _webhook, path = endpoint(api, receiver)
        receiver.behave(path, Behaviour(delay_s=0.2))  # slow enough to be killed mid-way
        block(api, [f"killed-{n}" for n in range(30)])
        expected = trail_ids(api)
        receiver.wait_for(path, 8)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        before = len(receiver.got(path))
    assert before < len(expected)
    receiver.reset(path)  # fast from now on
    # Restarted a minute ahead: the dead process's lease on the endpoint has run out.
    restart = {**settings, "LEADBLOCK_CLOCK_OFFSET_S": "60"}
    with running_server(own_database_url, tmp_path / "second.log", **restart):
        eventually(
            lambda: {item.webhook_id for item in receiver.delivered(path)},
            lambda seen: seen == set(expected),
        )
    ids = [item.webhook_id for item in receiver.got(path) if item.answered == 200]
    first_seen = list(dict.fromkeys(ids))
    assert first_seen == expected
    # After the restart, delivery went on from the last progress it recorded: an unbroken
    # run of the trail to its end (what was sent but not yet recorded is sent again).
    after = [item.webhook_id for item in receiver.got(path)[before:]]
    start = expected.index(after[0])
    assert after == expected[start:]
    assert start <= before


def test_a_slow_receiver_holds_back_neither_requests_nor_other_endpoints(
    own_database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    key = new_key(own_database_url)
    settings = webhook_settings(receiver, LEADBLOCK_WEBHOOK_TIMEOUT_S="30")
    with (
        running_server(own_database_url, tmp_path / "server.log", **settings) as server,
        client(server, key) as api,
    ):
        _slow, slow_path = endpoint(api, receiver)
        _quick, quick_path = endpoint(api, receiver)
        receiver.behave(slow_path, Behaviour(delay_s=10, times=1))
        block(api, ["slow-one"])
        [first] = eventually(lambda: receiver.got(slow_path), lambda got: len(got) == 1)
        # While the slow receiver is still thinking about its first event:
        block(api, [f"meanwhile-{n}" for n in range(50)])
        check = api.post("/blocked-leads/check", json={"publicIdentifiers": ["meanwhile-3"]})
        assert check.json()["results"][0]["blocked"] is True
        receiver.wait_for(quick_path, 51)
        assert first.answered == "", "the slow answer came before the others were served"
        expected = trail_ids(api)
        delivered = receiver.wait_for(slow_path, 51, timeout=60)
        assert [item.webhook_id for item in delivered] == expected
