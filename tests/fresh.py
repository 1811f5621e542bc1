"""A fresh, migrated SQLite database with one workspace, for tests that need a server of
their own (crash, full disk, locked database, logs)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from leadblock.config import Settings
from leadblock.domain.records import ApiKey, Workspace
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate


class FreshWorkspace(NamedTuple):
    url: str
    workspace: Workspace
    key: ApiKey
    api_key: str


def fresh_sqlite_workspace(path: Path, name: str) -> FreshWorkspace:
    url = f"sqlite:///{path}"
    database = Database(Settings(database_url=url))
    migrate(database)
    with database.transaction(write=True) as tx:
        workspace, key, api_key = workspaces.create_workspace(tx, name)
    database.dispose()
    return FreshWorkspace(url, workspace, key, api_key)
