"""Web console sessions: which signed sessions still stand for a caller.

The console signs `{key id, nonce, expiry}` into a cookie (console/session.py); this decides,
on every request, whether such a session is still good: its key must exist and not be
revoked, and the session must not have been signed out. Signing out records the session's
nonce until the session would have expired anyway.
"""

from __future__ import annotations

import time

from leadblock.domain.records import Caller, Workspace
from leadblock.errors import NotAuthenticated
from leadblock.storage import sessions as store
from leadblock.storage import workspaces
from leadblock.storage.db import Database, Transaction


def signing_secret(database: Database) -> str:
    """The secret that signs console sessions, shared by every server of the database."""
    with database.transaction() as tx:
        return workspaces.server_secret(tx, "console-session")


def session_caller(tx: Transaction, key_id: str, nonce: str) -> tuple[Caller, Workspace]:
    """The caller of a session and its workspace, or `NotAuthenticated` when the key was
    revoked or the session signed out."""
    key = workspaces.find_key(tx, key_id)
    if key is None or key.revoked_at is not None:
        raise NotAuthenticated("The API key of this session was revoked.")
    if store.signed_out(tx, nonce):
        raise NotAuthenticated("This session was signed out.")
    workspace = workspaces.find_workspace(tx, key.workspace_id)
    if workspace is None:
        raise NotAuthenticated("The workspace of this session was deleted.")
    return Caller(workspace.id, workspace.number, key.id, key.read_only), workspace


def sign_out(tx: Transaction, nonce: str, expires_at: int) -> None:
    """End a session for good (its cookie may still exist somewhere), and forget sessions that
    have expired by themselves since."""
    store.record_sign_out(tx, nonce, expires_at)
    store.forget_expired(tx, int(time.time()))
