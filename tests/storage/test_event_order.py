"""The audit trail's order is final: no commit can add an event before one already read as
final, however transactions interleave (what webhooks deliver in, issue #16)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from leadblock.config import Settings
from leadblock.domain.ids import now_ms
from leadblock.domain.records import Caller, EventType
from leadblock.services import audit, workspaces
from leadblock.storage import events
from leadblock.storage.db import Database, Transaction
from leadblock.storage.migrate import migrate
from tests.postgres import PostgresCluster


def record(tx: Transaction, caller: Caller, *subjects: str) -> None:
    events.record(
        tx,
        caller.workspace,
        None,
        EventType.BLOCKED,
        now_ms(),
        [(subject, None) for subject in subjects],
    )


def new_caller(database: Database) -> Caller:
    with database.transaction(write=True) as tx:
        workspace, _key, _plain = workspaces.create_workspace(tx, "order")
    return Caller(workspace.id, workspace.number, None)


def final(database: Database, caller: Caller) -> list[str]:
    with database.transaction() as tx:
        return [event.subject for event in events.final_after(tx, caller.workspace, (0, ""), 100)]


def trail(database: Database, caller: Caller) -> list[str]:
    with database.transaction() as tx:
        return [event.subject for event in audit.list_events(tx, caller).items]


def test_events_of_one_transaction_keep_their_order(database: Database) -> None:
    caller = new_caller(database)
    with database.transaction(write=True) as tx:
        at = now_ms()
        for subject in ("first", "second", "third"):  # one millisecond, three statements
            events.record(tx, caller.workspace, None, EventType.BLOCKED, at, [(subject, None)])
    with database.transaction(write=True) as tx:
        record(tx, caller, "fourth", "fifth")
    assert final(database, caller) == ["first", "second", "third", "fourth", "fifth"]
    assert trail(database, caller) == ["fifth", "fourth", "third", "second", "first"]


@pytest.fixture
def postgres_database(postgres: PostgresCluster) -> Iterator[Database]:
    url = postgres.create_database(f"leadblock_order_{secrets.token_hex(4)}")
    database = Database(Settings(database_url=url))
    migrate(database)
    yield database
    database.dispose()


def test_a_transaction_still_running_holds_back_every_event_after_it(
    postgres_database: Database,
) -> None:
    database = postgres_database
    caller = new_caller(database)
    with database.transaction(write=True) as older:
        record(older, caller, "older-first-write")  # this transaction's id is taken here
        with database.transaction(write=True) as newer:
            record(newer, caller, "newer")
        # Committed, listed, but not final: the older transaction may still record events.
        assert trail(database, caller) == ["newer"]
        assert final(database, caller) == []
        record(older, caller, "older-later")  # after "newer" in time, before it in the trail
    assert final(database, caller) == ["older-first-write", "older-later", "newer"]
    assert trail(database, caller) == ["newer", "older-later", "older-first-write"]
