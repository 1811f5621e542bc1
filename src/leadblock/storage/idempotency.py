"""Table gateway of `idempotency_keys`: the stored answers of writes sent with an
`Idempotency-Key`."""

from __future__ import annotations

import zlib
from typing import Any, NamedTuple

from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

CLAIM_IDEMPOTENCY_KEY = query("claim-idempotency-key")
CLAIM_IDEMPOTENCY_KEY_VERIFYING_API_KEY = query("claim-idempotency-key-verifying-api-key")
SELECT_IDEMPOTENCY_KEY = query("select-idempotency-key")
UPSERT_IDEMPOTENCY_KEY = query("upsert-idempotency-key")
DELETE_EXPIRED_IDEMPOTENCY_KEYS = query("delete-expired-idempotency-keys")
DEFLATE_FROM = 1024


class StoredAnswer(NamedTuple):
    fingerprint: str
    status: int
    body: bytes
    created_at: int


def claim(tx: Transaction, workspace: int, key: str) -> tuple[bool, StoredAnswer | None]:
    """Hold `key` until the transaction ends, then read its answer: (False, None) while
    another transaction holds it (PostgreSQL; SQLite's one writer holds every key already)."""
    [row] = tx.rows(CLAIM_IDEMPOTENCY_KEY, workspace=workspace, key=key)
    return _claimed(row)


def claim_verifying_api_key(
    tx: Transaction, api_key_id: str, key: str
) -> tuple[Any, bool, StoredAnswer | None]:
    """`claim` of `key` in the workspace of the API key `api_key_id`, in the statement that
    reads that key's row for its verification (`workspaces.find_key_for_auth`): (the row,
    locked, the answer); (None, False, None) when there is no such API key."""
    row = tx.one(CLAIM_IDEMPOTENCY_KEY_VERIFYING_API_KEY, api_key_id=api_key_id, key=key)
    if row is None:
        return None, False, None
    return row, *_claimed(row)


def _claimed(row: Any) -> tuple[bool, StoredAnswer | None]:
    """(locked, the answer) of a claim's row: no answer read while another holds the key."""
    return (True, _answer(row)) if row.locked else (False, None)


def find(tx: Transaction, workspace: int, key: str) -> StoredAnswer | None:
    """The key's answer, without holding the key."""
    return _answer(tx.one(SELECT_IDEMPOTENCY_KEY, workspace=workspace, key=key))


def _answer(row: Any) -> StoredAnswer | None:
    if row is None or row.fingerprint is None:
        return None
    body = zlib.decompress(row.body) if row.deflated else bytes(row.body)
    return StoredAnswer(row.fingerprint, row.status, body, row.created_at)


def store(tx: Transaction, workspace: int, key: str, answer: StoredAnswer) -> None:
    """Keep `answer` under `key`; a body of `DEFLATE_FROM` bytes or more is kept deflated (a
    10,000-lead answer repeats its field names and reasons: several times smaller)."""
    deflated = len(answer.body) >= DEFLATE_FROM
    tx.execute(
        UPSERT_IDEMPOTENCY_KEY,
        workspace=workspace,
        key=key,
        fingerprint=answer.fingerprint,
        status=answer.status,
        body=zlib.compress(answer.body, 1) if deflated else answer.body,
        deflated=deflated,
        created_at=answer.created_at,
    )


def prune(tx: Transaction, before: int, limit: int) -> int:
    """Delete up to `limit` answers stored before `before`; return how many."""
    return tx.execute(DELETE_EXPIRED_IDEMPOTENCY_KEYS, before=before, limit=limit)
