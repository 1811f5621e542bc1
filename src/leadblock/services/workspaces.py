"""Workspaces: the tenants. Each is created with its first API key."""

from __future__ import annotations

from leadblock.domain.ids import new_id, now_ms
from leadblock.domain.records import ApiKey, Workspace
from leadblock.errors import InvalidInput, NotFound
from leadblock.services.keys import create_key
from leadblock.storage import workspaces as store
from leadblock.storage.db import Transaction

MAX_NAME_LENGTH = 200


def create_workspace(tx: Transaction, name: str) -> tuple[Workspace, ApiKey, str]:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Workspace name must be 1–{MAX_NAME_LENGTH} characters.")
    at = now_ms()
    workspace = store.insert_workspace(tx, new_id(at), name, at)
    key, plain = create_key(tx, workspace.id, name="first key")
    return workspace, key, plain


def list_workspaces(tx: Transaction) -> list[Workspace]:
    return store.all_workspaces(tx)


def create_first_workspace(tx: Transaction) -> tuple[Workspace, ApiKey, str] | None:
    """On an empty database, create the "default" workspace; otherwise do nothing."""
    store.lock_workspaces(tx)
    if store.count_workspaces(tx):
        return None
    return create_workspace(tx, "default")


def get_workspace(tx: Transaction, workspace_id: str) -> Workspace:
    workspace = store.find_workspace(tx, workspace_id)
    if workspace is None:
        raise NotFound(f"Workspace {workspace_id} does not exist.")
    return workspace


def delete_workspace(tx: Transaction, workspace_id: str) -> dict[str, int]:
    """Erase a workspace and everything in it (blocks, campaigns, leads, audit trail, keys).

    Irreversible; returns the number of rows removed per kind. Its keys stop working at once.
    """
    return store.delete_workspace(tx, get_workspace(tx, workspace_id))
