"""`Idempotency-Key`: every POST, PATCH and DELETE sent again with the same key is answered with
the first answer, byte for byte, and done once; the key names one request (422 otherwise) and
one running request (409); the answer is stored in the write's own transaction, survives a
SIGKILL, is never stored for a write that rolled back, and expires."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from leadblock.services import workspaces
from leadblock.storage import idempotency
from leadblock.storage.db import Database
from tests.conftest import TenantFixture
from tests.server import Server, running_server
from tests.shapes import error

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
REUSED = error(
    "idempotency_key_reused",
    "This Idempotency-Key was used for another request (method, path or body differ); "
    "use a new key for a new request.",
)
MALFORMED = (
    "Idempotency-Key must be 1 to 255 printable ASCII characters, with no space at either end."
)
IN_USE = error(
    "idempotency_key_in_use",
    "A request with this Idempotency-Key is still running; retry once it has answered.",
)


def send(
    client: httpx.Client,
    method: str,
    path: str,
    key: str,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    return client.request(method, path, headers={HEADER: key, **(headers or {})}, **kwargs)


def once(client: httpx.Client, method: str, path: str, key: str, **kwargs: Any) -> Any:
    """Send a request twice with one key: the second is the first's answer, replayed."""
    first = send(client, method, path, key, **kwargs)
    again = send(client, method, path, key, **kwargs)
    assert REPLAYED not in first.headers
    assert again.headers[REPLAYED] == "true"
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert "RateLimit-Remaining" in again.headers
    return first


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def events(client: httpx.Client) -> list[tuple[str, str]]:
    trail = ok(client.get("/blocked-leads/events", params={"limit": 1000}))
    return [(event["type"], event["publicIdentifier"]) for event in trail]


def test_every_write_is_done_once_and_replayed_byte_for_byte(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = ok(once(client, "POST", "/campaigns", "c1", json={"name": "spring"}))["id"]
    assert [made["id"] for made in ok(client.get("/campaigns"))] == [campaign]

    leads = {"leads": [{"publicIdentifier": "ada"}, {"publicIdentifier": "bob"}]}
    blocked = ok(once(client, "POST", "/blocked-leads", "b1", json=leads))
    ada, bob = (lead["id"] for lead in blocked["leads"])
    ok(once(client, "PATCH", f"/blocked-leads/{ada}", "p1", json={"reason": "asked"}))

    enrol = {"leads": [{"publicIdentifier": name} for name in ("x-1", "x-2", "x-3")]}
    ok(once(client, "POST", f"/campaigns/{campaign}/leads", "e1", json=enrol))
    lease = {"limit": 1, "leaseSeconds": 600}
    claim = ok(once(client, "POST", f"/campaigns/{campaign}/dispatch", "d1", json=lease))
    # The retried dispatch leased nothing more.
    listed = ok(client.get(f"/campaigns/{campaign}/leads"))
    assert [lead["status"] for lead in listed] == ["leased", "pending", "pending"]
    claims = f"/campaigns/{campaign}/claims/{claim['claimId']}"
    confirmed = ok(once(client, "POST", f"{claims}/confirm", "k1"))
    [lead] = confirmed["confirmed"]
    released = ok(once(client, "POST", f"{claims}/release", "r1", json={"leadIds": [lead["id"]]}))
    assert released["released"] == 1

    names = {"publicIdentifiers": ["x-2"]}
    ok(once(client, "POST", f"/campaigns/{campaign}/blocked-leads", "cb1", json=names))
    ok(once(client, "DELETE", f"/campaigns/{campaign}/blocked-leads", "cu1", json=names))
    ok(once(client, "DELETE", f"/blocked-leads/{ada}", "u1"))
    ok(once(client, "DELETE", "/blocked-leads", "u2", json={"ids": [bob]}))
    csv = b"publicIdentifier,reason\ncarol,import\ndave,\n"
    imported = once(
        client,
        "POST",
        "/blocked-leads/import",
        "i1",
        content=csv,
        headers={HEADER: "i1", "content-type": "text/csv"},
    )
    assert ok(imported)["blocked"] == 2
    ok(once(client, "DELETE", f"/campaigns/{campaign}", "cd1"))

    # Each write happened once: one event per change, none from a replay.
    assert sorted(events(client)) == sorted(
        [
            ("blocked", "ada"),
            ("blocked", "bob"),
            ("reason_changed", "ada"),
            ("blocked", "x-2"),
            ("unblocked", "x-2"),
            ("unblocked", "ada"),
            ("unblocked", "bob"),
            ("blocked", "carol"),
            ("blocked", "dave"),
        ]
    )
    assert ok(client.get("/campaigns")) == []


def test_a_key_names_one_request(tenant: TenantFixture) -> None:
    client = tenant.client
    spring, autumn = (ok(client.post("/campaigns", json={"name": n}))["id"] for n in "ab")
    path, names = f"/campaigns/{spring}/blocked-leads", {"publicIdentifiers": ["ada"]}
    first = ok(send(client, "POST", path, "k", json=names))
    for method, url, body in (
        ("POST", path, {"publicIdentifiers": ["bob"]}),  # another body
        ("POST", f"{path}?source=retry", names),  # another query
        ("POST", f"/campaigns/{autumn}/blocked-leads", names),  # another path
        ("DELETE", path, names),  # another method
    ):
        reused = send(client, method, url, "k", json=body)
        assert (reused.status_code, reused.json()) == (422, REUSED), (method, url, body)
    # The same JSON in other bytes is another body.
    spaced = send(client, "POST", path, "k", content=b'{"publicIdentifiers": ["ada"]}')
    assert (spaced.status_code, spaced.json()) == (422, REUSED)
    assert ok(send(client, "POST", path, "k", json=names)) == first
    assert events(client) == [("blocked", "ada")]


def test_keys_belong_to_a_workspace(tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    mine = ok(send(tenant.client, "POST", "/campaigns", "shared", json={"name": "a"}))
    theirs = send(other_tenant.client, "POST", "/campaigns", "shared", json={"name": "a"})
    assert REPLAYED not in theirs.headers
    assert ok(theirs)["id"] != mine["id"]
    assert ok(send(tenant.client, "POST", "/campaigns", "shared", json={"name": "a"})) == mine


def test_a_stored_answer_is_replayed_to_its_workspace_s_valid_keys_only(
    tenant: TenantFixture,
) -> None:
    """The key's answer is read with the API key's row (one statement on PostgreSQL): a key
    with the right id and a wrong secret is a 401 all the same, and holds nothing."""
    body = {"leads": [{"publicIdentifier": "ada"}]}
    forged = tenant.api_key[:-4] + ("AAAA" if not tenant.api_key.endswith("AAAA") else "BBBB")
    with httpx.Client(base_url=tenant.client.base_url, headers={"x-api-key": forged}) as wrong:
        refused = send(wrong, "POST", "/blocked-leads", "k", json=body)
        assert (refused.status_code, REPLAYED in refused.headers) == (401, False)
        first = send(tenant.client, "POST", "/blocked-leads", "k", json=body)
        assert (ok(first)["blocked"], REPLAYED in first.headers) == (1, False)
        refused = send(wrong, "POST", "/blocked-leads", "k", json=body)
        assert (refused.status_code, REPLAYED in refused.headers) == (401, False)
        assert refused.json()["code"] == "unauthenticated"
    again = send(tenant.client, "POST", "/blocked-leads", "k", json=body)
    assert (again.content, again.headers[REPLAYED]) == (first.content, "true")


def test_refusals_are_stored_and_replayed(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client
    missing = once(client, "PATCH", f"/blocked-leads/{'0' * 32}", "m", json={"reason": "x"})
    assert (missing.status_code, missing.json()) == (
        404,
        error("not_found", "Blocked lead not found."),
    )
    invalid = once(
        client, "POST", "/blocked-leads", "v", json={"leads": [{"publicIdentifier": "in/"}]}
    )
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "invalid_input"
    # Nothing of the refused writes happened.
    assert ok(client.get("/blocked-leads")) == []
    assert events(client) == []


def test_a_read_only_key_is_refused_and_its_refusal_not_kept(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    """A 403 is about the key that asked: the writer key's retry runs; and a read-only key
    never gets a writer's stored answer."""
    body = {"name": "spring"}
    for _ in range(2):
        refused = send(read_only_client, "POST", "/campaigns", "k", json=body)
        assert refused.status_code == 403
        assert REPLAYED not in refused.headers
    made = send(tenant.client, "POST", "/campaigns", "k", json=body)
    assert REPLAYED not in made.headers
    assert ok(made)["name"] == "spring"
    again = send(read_only_client, "POST", "/campaigns", "k", json=body)
    assert (again.status_code, REPLAYED in again.headers) == (403, False)
    csv = {"content": b"publicIdentifier\nada\n", "headers": {"content-type": "text/csv"}}
    imported = send(read_only_client, "POST", "/blocked-leads/import", "i", **csv)
    assert imported.status_code == 403
    assert ok(send(tenant.client, "POST", "/blocked-leads/import", "i", **csv))["blocked"] == 1


def test_dry_runs_and_checks_are_never_replayed(tenant: TenantFixture) -> None:
    client = tenant.client
    leads = {"leads": [{"publicIdentifier": "ada"}]}
    dry = ok(send(client, "POST", "/blocked-leads?dryRun=true", "dry", json=leads))
    assert dry["dryRun"] is True
    # A dry run stores nothing: the key is free for another request.
    real = send(client, "POST", "/blocked-leads", "dry", json=leads)
    assert REPLAYED not in real.headers
    assert ok(real)["leads"][0]["id"] is not None

    # A check writes nothing and is always answered as of now: never a stale all-clear.
    check = {"publicIdentifiers": ["bob"]}
    before = send(client, "POST", "/blocked-leads/check", "chk", json=check)
    assert ok(before)["results"][0]["contactable"] is True
    ok(client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "bob"}]}))
    after = send(client, "POST", "/blocked-leads/check", "chk", json=check)
    assert REPLAYED not in after.headers
    assert ok(after)["results"][0]["contactable"] is False


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"", MALFORMED),
        (b"k" * 256, MALFORMED),
        ("clé".encode(), MALFORMED),
        (b"a\tb", MALFORMED),
    ],
)
def test_a_malformed_key_is_a_400(tenant: TenantFixture, value: bytes, message: str) -> None:
    answer = tenant.client.post("/campaigns", json={"name": "x"}, headers={HEADER: value})
    assert (answer.status_code, answer.json()) == (400, error("invalid_input", message))
    assert ok(tenant.client.get("/campaigns")) == []


def test_keys_are_taken_once_and_on_writes_only(tenant: TenantFixture) -> None:
    client = tenant.client
    twice = client.post("/campaigns", json={"name": "x"}, headers=[(HEADER, "a"), (HEADER, "b")])
    assert (twice.status_code, twice.json()) == (
        400,
        error("invalid_input", "Send one Idempotency-Key header, not 2."),
    )
    longest = "~" * 255
    assert ok(send(client, "POST", "/campaigns", longest, json={"name": "x"}))["name"] == "x"
    # A read takes no key: whatever is sent is ignored.
    assert client.get("/campaigns", headers={HEADER: ""}).status_code == 200
    assert REPLAYED not in client.get("/campaigns", headers={HEADER: longest}).headers


def test_expired_answers_are_deleted_and_not_replayed(
    tenant: TenantFixture, database: Database, tmp_path: Path
) -> None:
    client = tenant.client
    first = ok(send(client, "POST", "/campaigns", "old", json={"name": "spring"}))

    def stored() -> bool:
        with database.transaction() as tx:
            return idempotency.find(tx, tenant.workspace, "old") is not None

    assert stored()
    # A server a day and an hour ahead: the answer (kept 24 hours) has expired, and the
    # server deletes expired answers as it starts and every minute.
    with running_server(
        database.url, tmp_path / "later.log", LEADBLOCK_CLOCK_OFFSET_S=str(25 * 3600)
    ) as later:
        deadline = time.monotonic() + 30
        while stored() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not stored()
        with httpx.Client(base_url=later.api, headers={"x-api-key": tenant.api_key}) as ahead:
            again = send(ahead, "POST", "/campaigns", "old", json={"name": "spring"})
            assert REPLAYED not in again.headers
            assert ok(again)["id"] != first["id"]
            assert (
                send(ahead, "POST", "/campaigns", "old", json={"name": "spring"}).headers[REPLAYED]
                == "true"
            )


@contextmanager
def write_lock_held(database: Database, url: str) -> Iterator[None]:
    """Another client holds what a write needs: the SQLite write lock, or (PostgreSQL) the
    idempotency table, so a write fails after its work has run, when it stores its answer."""
    if database.dialect == "sqlite":
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = psycopg.connect(url)  # type: ignore[assignment]
        holder.execute("LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_answers_live_in_the_write_transaction(database: Database, tmp_path: Path) -> None:
    """A write that fails stores no answer (its retry runs); an acknowledged one survives a
    SIGKILL of the server (its retry is replayed by the restarted server)."""
    with database.transaction(write=True) as tx:
        _workspace, _key, api_key = workspaces.create_workspace(tx, "crash")
    headers = {"x-api-key": api_key}
    jammed = {"LEADBLOCK_DB_BUSY_TIMEOUT_MS": "300", "LEADBLOCK_DB_STATEMENT_TIMEOUT_MS": "300"}
    with running_server(database.url, tmp_path / "first.log", **jammed) as server:
        with httpx.Client(base_url=server.api, headers=headers, timeout=30) as client:
            with write_lock_held(database, database.url):
                failed = send(client, "POST", "/campaigns", "spring", json={"name": "spring"})
            assert failed.status_code == 503, failed.text
            assert ok(client.get("/campaigns")) == []
            first = send(client, "POST", "/campaigns", "spring", json={"name": "spring"})
            assert REPLAYED not in first.headers
            assert ok(first)["name"] == "spring"
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    with (
        running_server(database.url, tmp_path / "second.log") as server,
        httpx.Client(base_url=server.api, headers=headers) as client,
    ):
        again = send(client, "POST", "/campaigns", "spring", json={"name": "spring"})
        assert again.headers[REPLAYED] == "true"
        assert (again.status_code, again.content) == (200, first.content)
        assert [made["id"] for made in ok(client.get("/campaigns"))] == [first.json()["id"]]


def test_concurrent_retries_do_the_work_once(database: Database, tmp_path: Path) -> None:
    """Senders on two server processes send each request with one key at once: one does the
    work, every other gets a 409 or the same answer, byte for byte; never a second write."""
    with database.transaction(write=True) as tx:
        _workspace, _key, api_key = workspaces.create_workspace(tx, "retries")
    rounds, senders, size = 6, 6, 500
    answers: list[list[httpx.Response]] = [[] for _ in range(rounds)]
    with ExitStack() as stack:
        servers: list[Server] = [
            stack.enter_context(running_server(database.url, tmp_path / f"{name}.log"))
            for name in ("a", "b")
        ]
        clients = [
            stack.enter_context(
                httpx.Client(base_url=s.api, headers={"x-api-key": api_key}, timeout=60)
            )
            for s in servers
        ]
        for number in range(rounds):
            leads = {"leads": [{"publicIdentifier": f"r{number}-{i}"} for i in range(size)]}
            start = threading.Barrier(senders)

            def sender(
                index: int, number: int = number, leads: Any = leads, start: Any = start
            ) -> None:
                client = clients[index % len(clients)]
                start.wait()
                answer = send(client, "POST", "/blocked-leads", f"round-{number}", json=leads)
                answers[number].append(answer)

            threads = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        count = int(clients[0].get("/blocked-leads").headers["X-Total-Count"])

    for number, round_answers in enumerate(answers):
        done = [a for a in round_answers if a.status_code == 200 and REPLAYED not in a.headers]
        replayed = [a for a in round_answers if a.headers.get(REPLAYED) == "true"]
        busy = [a for a in round_answers if a.status_code == 409]
        assert len(done) == 1, (number, [(a.status_code, a.text[:200]) for a in round_answers])
        assert len(done) + len(replayed) + len(busy) == senders
        assert all(a.content == done[0].content for a in replayed)
        assert all(a.json() == IN_USE for a in busy)
        # The one that did the work blocked every lead: no run came before it.
        assert done[0].json()["alreadyBlocked"] == 0
    assert count == rounds * size
