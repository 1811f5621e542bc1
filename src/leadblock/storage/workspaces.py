"""Table gateways of `workspaces` and `api_keys`."""

from __future__ import annotations

from typing import Any

from leadblock.domain.records import ApiKey, Workspace
from leadblock.storage.db import Transaction


def insert_workspace(tx: Transaction, workspace: Workspace) -> None:
    tx.execute(
        "insert-workspace", id=workspace.id, name=workspace.name, created_at=workspace.created_at
    )


def all_workspaces(tx: Transaction) -> list[Workspace]:
    return [Workspace(row.id, row.name, row.created_at) for row in tx.rows("select-workspaces")]


def find_workspace(tx: Transaction, workspace_id: str) -> Workspace | None:
    row = tx.one("select-workspace", id=workspace_id)
    return Workspace(row.id, row.name, row.created_at) if row else None


# What a workspace holds, in the order it is deleted (children first).
WORKSPACE_TABLES = (
    "events",
    "campaign-leads",
    "campaign-blocks",
    "campaigns",
    "blocked-leads",
    "blocked-lead-counts",
    "api-keys",
)


def delete_workspace(tx: Transaction, workspace_id: str) -> dict[str, int]:
    """Delete every row of the workspace; return how many rows of each kind went."""
    counts = {
        table: tx.execute(f"delete-workspace-{table}", workspace_id=workspace_id)
        for table in WORKSPACE_TABLES
    }
    counts["workspace"] = tx.execute("delete-workspace", workspace_id=workspace_id)
    return counts


def lock_workspaces(tx: Transaction) -> None:
    tx.execute("lock-workspaces")


def count_workspaces(tx: Transaction) -> int:
    return int(tx.scalar("count-workspaces"))


def insert_key(tx: Transaction, key: ApiKey, secret_hash: str) -> None:
    tx.execute(
        "insert-api-key",
        id=key.id,
        workspace_id=key.workspace_id,
        name=key.name,
        secret_hash=secret_hash,
        read_only=key.read_only,
        created_at=key.created_at,
    )


def find_key_for_auth(tx: Transaction, key_id: str) -> Any:
    """The key row with its secret hash, or None; only authentication may read the hash."""
    return tx.one("select-api-key-for-auth", id=key_id)


def find_key(tx: Transaction, key_id: str) -> ApiKey | None:
    row = tx.one("select-api-key", id=key_id)
    return _key(row) if row else None


def keys_of(tx: Transaction, workspace_id: str) -> list[ApiKey]:
    return [_key(row) for row in tx.rows("select-api-keys", workspace_id=workspace_id)]


def revoke_key(tx: Transaction, key_id: str, at: int) -> None:
    tx.execute("revoke-api-key", id=key_id, revoked_at=at)


def touch_key(tx: Transaction, key_id: str, at: int) -> None:
    tx.execute("touch-api-key", id=key_id, last_used_at=at)


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
    return str(tx.scalar("select-server-secret", name=name))
