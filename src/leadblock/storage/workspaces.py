"""Table gateways of `workspaces` and `api_keys`."""

from __future__ import annotations

from typing import Any

from leadblock.domain.records import ApiKey, Workspace
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

INSERT_WORKSPACE = query("insert-workspace")
SELECT_WORKSPACES = query("select-workspaces")
SELECT_WORKSPACE = query("select-workspace")
DELETE_WORKSPACE = query("delete-workspace")
LOCK_WORKSPACES = query("lock-workspaces")
LOCK_WORKSPACE_FOR_DELETION = query("lock-workspace-for-deletion")
COUNT_WORKSPACES = query("count-workspaces")
SELECT_WORKSPACES_WITH_BLOCKS_DUE = query("select-workspaces-with-blocks-due")
INSERT_API_KEY = query("insert-api-key")
SELECT_API_KEY_FOR_AUTH = query("select-api-key-for-auth")
SELECT_API_KEY = query("select-api-key")
SELECT_API_KEYS = query("select-api-keys")
REVOKE_API_KEY = query("revoke-api-key")
TOUCH_API_KEY = query("touch-api-key")
SELECT_SERVER_SECRET = query("select-server-secret")


def insert_workspace(tx: Transaction, workspace_id: str, name: str, created_at: int) -> Workspace:
    [(number,)] = tx.tuples(INSERT_WORKSPACE, id=workspace_id, name=name, created_at=created_at)
    return Workspace(workspace_id, int(number), name, created_at)


def all_workspaces(tx: Transaction) -> list[Workspace]:
    return [Workspace(*row) for row in tx.tuples(SELECT_WORKSPACES)]


def with_blocks_due(tx: Transaction, now: int) -> list[int]:
    """The numbers of the workspaces holding a block whose expiry is at or before `now`."""
    return [number for (number,) in tx.tuples(SELECT_WORKSPACES_WITH_BLOCKS_DUE, now=now)]


def find_workspace(tx: Transaction, workspace_id: str) -> Workspace | None:
    row = tx.one(SELECT_WORKSPACE, id=workspace_id)
    return Workspace(*row) if row else None


# What a workspace holds, in the order it is deleted (children first): the tenant tables,
# keyed by the workspace's number, then its API keys, which name it by id.
TENANT_TABLES = (
    "webhook-deliveries",
    "webhooks",
    "events",
    "idempotency-keys",
    "campaign-lead-companies",
    "campaign-leads",
    "campaign-blocks",
    "campaigns",
    "company-blocks",
    "blocked-leads",
    "blocked-lead-counts",
)
DELETE_FROM_WORKSPACE = {table: query(f"delete-workspace-{table}") for table in TENANT_TABLES}
DELETE_WORKSPACE_API_KEYS = query("delete-workspace-api-keys")


def delete_workspace(tx: Transaction, workspace: Workspace) -> dict[str, int]:
    """Delete every row of the workspace; return how many rows of each kind went."""
    tx.execute(LOCK_WORKSPACE_FOR_DELETION, workspace=workspace.number)
    counts = {
        table: tx.execute(DELETE_FROM_WORKSPACE[table], workspace=workspace.number)
        for table in TENANT_TABLES
    }
    counts["api-keys"] = tx.execute(DELETE_WORKSPACE_API_KEYS, workspace_id=workspace.id)
    counts["workspace"] = tx.execute(DELETE_WORKSPACE, workspace_id=workspace.id)
    return counts


def lock_workspaces(tx: Transaction) -> None:
    tx.execute(LOCK_WORKSPACES)


def count_workspaces(tx: Transaction) -> int:
    return int(tx.scalar(COUNT_WORKSPACES))


def insert_key(tx: Transaction, key: ApiKey, secret_hash: str) -> None:
    tx.execute(
        INSERT_API_KEY,
        id=key.id,
        workspace_id=key.workspace_id,
        name=key.name,
        secret_hash=secret_hash,
        read_only=key.read_only,
        created_at=key.created_at,
    )


def find_key_for_auth(tx: Transaction, key_id: str) -> Any:
    """The key row with its secret hash, or None; only authentication may read the hash."""
    return tx.one(SELECT_API_KEY_FOR_AUTH, id=key_id)


def find_key(tx: Transaction, key_id: str) -> ApiKey | None:
    row = tx.one(SELECT_API_KEY, id=key_id)
    return _key(row) if row else None


def keys_of(tx: Transaction, workspace_id: str) -> list[ApiKey]:
    return [_key(row) for row in tx.rows(SELECT_API_KEYS, workspace_id=workspace_id)]


def revoke_key(tx: Transaction, key_id: str, at: int) -> None:
    tx.execute(REVOKE_API_KEY, id=key_id, revoked_at=at)


def touch_key(tx: Transaction, key_id: str, at: int) -> None:
    tx.execute(TOUCH_API_KEY, id=key_id, last_used_at=at)


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        read_only=bool(row.read_only),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def server_secret(tx: Transaction, name: str) -> str:
    """A secret every server of the deployment shares (created by migration 0005)."""
    return str(tx.scalar(SELECT_SERVER_SECRET, name=name))
