"""Table gateway of `idempotency_keys`: the stored answers of writes sent with an
`Idempotency-Key`."""

from __future__ import annotations

from typing import NamedTuple

from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

LOCK_IDEMPOTENCY_KEY = query("lock-idempotency-key")
SELECT_IDEMPOTENCY_KEY = query("select-idempotency-key")
UPSERT_IDEMPOTENCY_KEY = query("upsert-idempotency-key")
DELETE_EXPIRED_IDEMPOTENCY_KEYS = query("delete-expired-idempotency-keys")


class StoredAnswer(NamedTuple):
    fingerprint: str
    status: int
    body: bytes
    created_at: int


def lock(tx: Transaction, workspace: int, key: str) -> bool:
    """Hold `key` until the transaction ends; False while another transaction holds it
    (PostgreSQL; SQLite's single writer holds every key already)."""
    return bool(tx.scalar(LOCK_IDEMPOTENCY_KEY, workspace=workspace, key=key))


def find(tx: Transaction, workspace: int, key: str) -> StoredAnswer | None:
    row = tx.one(SELECT_IDEMPOTENCY_KEY, workspace=workspace, key=key)
    if row is None:
        return None
    return StoredAnswer(row.fingerprint, row.status, bytes(row.body), row.created_at)


def store(tx: Transaction, workspace: int, key: str, answer: StoredAnswer) -> None:
    tx.execute(
        UPSERT_IDEMPOTENCY_KEY,
        workspace=workspace,
        key=key,
        fingerprint=answer.fingerprint,
        status=answer.status,
        body=answer.body,
        created_at=answer.created_at,
    )


def prune(tx: Transaction, before: int) -> int:
    """Delete the answers stored before `before`; return how many."""
    return tx.execute(DELETE_EXPIRED_IDEMPOTENCY_KEYS, before=before)
