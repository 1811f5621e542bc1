"""Versioned schema migrations (Alembic), applied by `leadblock migrate` and at `serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from leadblock.storage.db import Database


def migrate(database: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
