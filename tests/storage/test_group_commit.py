"""Group commit (SQLite): concurrent writes share one transaction, each is answered only once it
is committed, a failing write fails alone, and a wait for the lock is bounded."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from leadblock.config import Settings
from leadblock.errors import InvalidInput, ServiceUnavailable
from leadblock.storage.db import Database, Transaction
from leadblock.storage.group_commit import GroupCommit
from leadblock.storage.migrate import migrate

BUSY_S = 0.5
T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the session's browser (Playwright's sync API) keeps
    an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(Settings(database_url=f"sqlite:///{tmp_path / 'group.db'}"))
    migrate(database)
    database.add_query("insert-secret", "INSERT INTO server_secrets (name, value) VALUES (:n, 'v')")
    yield database
    database.dispose()


def insert(name: str, transactions: list[int] | None = None) -> Any:
    def work(tx: Transaction) -> str:
        if transactions is not None:
            transactions.append(id(tx))
        tx.execute("insert-secret", n=name)
        return name

    return work


def stored(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM server_secrets")}


def test_concurrent_writes_share_a_transaction_and_are_answered_once_durable(
    database: Database, tmp_path: Path
) -> None:
    group = GroupCommit(database, busy_timeout_s=5)
    transactions: list[int] = []
    visible_when_answered: list[bool] = []

    async def scenario() -> list[str]:
        release = threading.Event()
        # Another writer of this process holds the lock while fifty writes queue up.
        holder = threading.Thread(target=hold_lock, args=(database, release))
        holder.start()
        await asyncio.sleep(0.1)

        async def one(number: int) -> str:
            name = await group.write(insert(f"w{number}", transactions))
            # Seen by another connection the moment it is answered: committed.
            visible_when_answered.append(name in stored(tmp_path / "group.db"))
            return name

        tasks = [asyncio.create_task(one(number)) for number in range(50)]
        await asyncio.sleep(0.1)
        release.set()
        names = await asyncio.gather(*tasks)
        holder.join()
        return names

    assert run_async(scenario()) == [f"w{number}" for number in range(50)]
    group.stop()
    assert visible_when_answered == [True] * 50
    # The first write waited for the lock alone; the 49 queued behind it shared one commit.
    assert len(transactions) == 50
    assert len(set(transactions)) <= 2


def hold_lock(database: Database, release: threading.Event) -> None:
    with database.transaction(write=True):
        release.wait()


def test_a_failing_write_fails_alone(database: Database, tmp_path: Path) -> None:
    group = GroupCommit(database, busy_timeout_s=5)

    def refused(tx: Transaction) -> None:
        tx.execute("insert-secret", n="refused")
        raise InvalidInput("Refused after writing.")

    def broken(tx: Transaction) -> None:
        tx.execute("insert-secret", n="broken")
        raise RuntimeError("a bug")

    async def scenario() -> list[Any]:
        works = [insert("before"), refused, insert("between"), broken, insert("after")]
        return await asyncio.gather(*(group.write(work) for work in works), return_exceptions=True)

    before, refusal, between, bug, after = run_async(scenario())
    group.stop()
    assert (before, between, after) == ("before", "between", "after")
    assert isinstance(refusal, InvalidInput)
    assert isinstance(bug, RuntimeError)
    assert stored(tmp_path / "group.db") == {"console-session", "before", "between", "after"}


def test_a_write_waits_for_another_process_at_most_the_busy_timeout(
    database: Database, tmp_path: Path
) -> None:
    group = GroupCommit(database, busy_timeout_s=BUSY_S)
    other = sqlite3.connect(tmp_path / "group.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    async def scenario() -> list[Any]:
        return await asyncio.gather(
            group.write(insert("blocked-1")),
            group.write(insert("blocked-2")),
            return_exceptions=True,
        )

    outcomes = run_async(scenario())
    assert [type(outcome) for outcome in outcomes] == [ServiceUnavailable, ServiceUnavailable]
    other.execute("ROLLBACK")
    other.close()
    assert run_async(group.write(insert("later"))) == "later"
    group.stop()
    assert stored(tmp_path / "group.db") == {"console-session", "later"}
