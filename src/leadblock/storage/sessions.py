"""Table gateway of `console_sign_outs`: console sessions ended before their expiry."""

from __future__ import annotations

from leadblock.storage.db import Transaction


def record_sign_out(tx: Transaction, nonce: str, expires_at: int) -> None:
    tx.execute("insert-console-sign-out", nonce=nonce, expires_at=expires_at)


def signed_out(tx: Transaction, nonce: str) -> bool:
    return tx.one("select-console-sign-out", nonce=nonce) is not None


def forget_expired(tx: Transaction, now: int) -> None:
    tx.execute("delete-expired-console-sign-outs", now=now)
