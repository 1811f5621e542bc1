"""Table gateway of `console_sign_outs`: console sessions ended before their expiry."""

from __future__ import annotations

from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

INSERT_CONSOLE_SIGN_OUT = query("insert-console-sign-out")
SELECT_CONSOLE_SIGN_OUT = query("select-console-sign-out")
DELETE_EXPIRED_CONSOLE_SIGN_OUTS = query("delete-expired-console-sign-outs")


def record_sign_out(tx: Transaction, nonce: str, expires_at: int) -> None:
    tx.execute(INSERT_CONSOLE_SIGN_OUT, nonce=nonce, expires_at=expires_at)


def signed_out(tx: Transaction, nonce: str) -> bool:
    return tx.one(SELECT_CONSOLE_SIGN_OUT, nonce=nonce) is not None


def forget_expired(tx: Transaction, now: int) -> None:
    tx.execute(DELETE_EXPIRED_CONSOLE_SIGN_OUTS, now=now)
