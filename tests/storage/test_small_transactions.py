"""Small requests on the event loop (PostgreSQL: `Database.run`; SQLite: `Database.read_inline`):
reads run in autocommit, each statement on a snapshot of its own, and a write on the same
connection afterwards is still one transaction, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from leadblock.config import Settings
from leadblock.domain.records import Workspace
from leadblock.services import workspaces
from leadblock.storage import workspaces as store
from leadblock.storage.db import Database, Transaction


class _Failed(Exception):
    pass


@pytest.fixture
def one_connection(database: Database) -> Iterator[Database]:
    """The migrated database, reached through one pooled connection: every transaction of a
    test shares it."""
    if database.dialect != "postgresql":
        pytest.skip("small requests run on the event loop on PostgreSQL only")
    database = Database(Settings(database_url=database.url, db_pool_size=1))
    yield database
    asyncio.run(database.close())
    database.dispose()


def test_a_write_after_reads_on_the_same_connection_is_all_or_nothing(
    one_connection: Database,
) -> None:
    database = one_connection
    created: list[Workspace] = []

    def read(tx: Transaction) -> int:
        return len(store.all_workspaces(tx))

    def failing_read(tx: Transaction) -> None:
        store.all_workspaces(tx)
        raise _Failed

    def failing_write(tx: Transaction) -> None:
        workspace, _key, _plain = workspaces.create_workspace(tx, "never committed")
        created.append(workspace)
        raise _Failed

    async def scenario() -> None:
        before = await database.run(read)
        with pytest.raises(_Failed):
            await database.run(failing_read)
        await database.run(read)
        with pytest.raises(_Failed):
            await database.run(failing_write, write=True)
        assert created  # the workspace and its key were written, then rolled back together
        assert await database.run(read) == before
        assert await database.run(lambda tx: store.find_workspace(tx, created[0].id)) is None

    asyncio.run(scenario())


def test_sqlite_inline_reads_see_each_statement_s_own_snapshot(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("the event loop's own SQLite connection")
    created: list[str] = []

    def read_around_a_write(tx: Transaction) -> tuple[int, int]:
        before = len(store.all_workspaces(tx))
        with database.transaction(write=True) as other:  # another connection
            workspace, _key, _plain = workspaces.create_workspace(other, "meanwhile")
            created.append(workspace.id)
        return before, len(store.all_workspaces(tx))

    def failing_read(tx: Transaction) -> None:
        store.all_workspaces(tx)
        raise _Failed

    before, after = database.read_inline(read_around_a_write)
    assert after == before + 1  # no snapshot held from the first statement to the second
    with pytest.raises(_Failed):
        database.read_inline(failing_read)
    assert database.read_inline(lambda tx: store.find_workspace(tx, created[0])) is not None
