"""No block or event outlives its workspace: SQLite by its foreign keys, PostgreSQL by one check
per statement (migration 0014) and a deletion that locks the workspace before anything goes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import sqlalchemy
from alembic import command
from alembic.config import Config

from leadblock.config import Settings
from leadblock.domain.records import EventType, Workspace
from leadblock.services import workspaces
from leadblock.storage import blocked_leads, events, migrations
from leadblock.storage.db import Database, Transaction
from leadblock.storage.migrate import migrate

NO_SUCH_WORKSPACE = 2_000_000_000
# What each engine raises for a row whose workspace does not exist.
REFUSED = (sqlite3.IntegrityError, psycopg.errors.ForeignKeyViolation)


def _block(workspace: int, identifier: str) -> Callable[[Transaction], object]:
    def write(tx: Transaction) -> object:
        row = (tx.increasing_ids(1, 1_000)[0], identifier, "asked", None)
        return blocked_leads.insert_missing(tx, workspace, [row], 1_000, None)

    return write


def _event(workspace: int, identifier: str) -> Callable[[Transaction], object]:
    def write(tx: Transaction) -> None:
        events.record(tx, workspace, None, EventType.BLOCKED, 1_000, [(identifier, "asked")])

    return write


def _new_workspace(database: Database, name: str) -> Workspace:
    with database.transaction(write=True) as tx:
        workspace, _key, _plain = workspaces.create_workspace(tx, name)
    return workspace


def _rows_of(database: Database, workspace: int) -> tuple[int, int]:
    engine = sqlalchemy.create_engine(database.url)
    try:
        with engine.connect() as connection:
            counts = [
                connection.execute(
                    sqlalchemy.text(f"SELECT count(*) FROM {table} WHERE workspace = :w"),  # noqa: S608
                    {"w": workspace},
                ).scalar_one()
                for table in ("blocked_leads", "events")
            ]
    finally:
        engine.dispose()
    return counts[0], counts[1]


@pytest.mark.parametrize("write", [_block, _event], ids=["block", "event"])
def test_a_row_of_a_workspace_that_does_not_exist_is_refused(
    database: Database, write: Callable[[int, str], Callable[[Transaction], object]]
) -> None:
    with pytest.raises(REFUSED), database.transaction(write=True) as tx:
        write(NO_SUCH_WORKSPACE, "nobody")(tx)
    assert _rows_of(database, NO_SUCH_WORKSPACE) == (0, 0)


def test_several_workspaces_in_one_statement_are_each_checked(database: Database) -> None:
    real = _new_workspace(database, "real")

    def both(tx: Transaction) -> None:
        events.record(tx, real.number, None, EventType.BLOCKED, 1_000, [("someone", None)])
        _event(NO_SUCH_WORKSPACE, "nobody")(tx)

    with pytest.raises(REFUSED), database.transaction(write=True) as tx:
        both(tx)
    assert _rows_of(database, real.number) == (0, 0)  # rolled back together


def test_a_deletion_waits_for_a_writer_in_flight_and_takes_its_rows(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite's writers never overlap: a deletion runs before or after a write")
    doomed = _new_workspace(database, "doomed")
    written, release = threading.Event(), threading.Event()
    deletion: dict[str, int] = {}

    def writer() -> None:
        with database.transaction(write=True) as tx:
            _block(doomed.number, "in-flight")(tx)
            written.set()
            release.wait(timeout=30)

    def deleter() -> None:
        with database.transaction(write=True) as tx:
            deletion.update(workspaces.delete_workspace(tx, doomed.id))

    writing = threading.Thread(target=writer)
    writing.start()
    assert written.wait(timeout=30)
    deleting = threading.Thread(target=deleter)
    deleting.start()
    deleting.join(timeout=0.5)
    assert deleting.is_alive()  # waiting for the writer's lock on the workspace
    release.set()
    writing.join(timeout=30)
    deleting.join(timeout=30)
    assert not deleting.is_alive()
    assert deletion["blocked-leads"] == 1
    assert deletion["events"] == 1
    assert _rows_of(database, doomed.number) == (0, 0)


def test_a_writer_after_a_deletion_began_fails_and_leaves_nothing(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite's writers never overlap: a deletion runs before or after a write")
    doomed = _new_workspace(database, "doomed")
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with database.transaction(write=True) as tx:
                _block(doomed.number, "too-late")(tx)
        except BaseException as error:  # the test asserts which
            failures.append(error)

    with database.transaction(write=True) as tx:
        workspaces.delete_workspace(tx, doomed.id)
        writing = threading.Thread(target=writer)
        writing.start()
        writing.join(timeout=0.5)
        assert writing.is_alive()  # waiting for the deletion's lock on the workspace
    writing.join(timeout=30)
    assert [type(error) for error in failures] == [psycopg.errors.ForeignKeyViolation]
    assert _rows_of(database, doomed.number) == (0, 0)


def test_the_foreign_keys_come_back_on_a_downgrade(own_database_url: str) -> None:
    database = Database(Settings(database_url=own_database_url))
    try:
        migrate(database)
        kept = _new_workspace(database, "kept")
        with database.transaction(write=True) as tx:
            _block(kept.number, "kept-lead")(tx)
        for revision in ("0013", "head"):
            config = Config()
            config.set_main_option("script_location", str(Path(migrations.__file__).parent))
            with database.engine.begin() as connection:
                config.attributes["connection"] = connection
                if revision == "head":
                    command.upgrade(config, revision)
                else:
                    command.downgrade(config, revision)
            for write in (_block, _event):
                with pytest.raises(REFUSED), database.transaction(write=True) as tx:
                    write(NO_SUCH_WORKSPACE, "nobody")(tx)
            assert _rows_of(database, kept.number) == (1, 1)
    finally:
        database.dispose()
