"""Versioned schema migrations (Alembic), applied by `leadblock migrate` and at `serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from leadblock.storage.db import Database, Transaction
from leadblock.storage.queries import query

_MIGRATION_LOCK = 7_240_113  # any constant shared by every leadblock process
_SCRIPTS = str(Path(__file__).parent / "migrations")
# The schema this code was built for: the newest migration.
HEAD_REVISION = ScriptDirectory(_SCRIPTS).get_current_head()
SCHEMA_REVISION = query("schema-revision")


def schema_revision(tx: Transaction) -> str | None:
    """The revision the database's schema is at (Alembic's record of it)."""
    return tx.scalar(SCHEMA_REVISION)  # type: ignore[no-any-return]


def migrate(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (tests build older schemas to upgrade them)."""
    config = Config()
    config.set_main_option("script_location", _SCRIPTS)
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Servers started together migrate one after the other (SQLite: BEGIN serialises).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
