"""API keys: issued once, stored as a SHA-256 hash, checked in constant time, revocable.

A key reads `lb_<key id>_<secret>`: the key id (16 hex digits) finds the row, the secret
(256 random bits) is never stored. SHA-256 suits secrets of full entropy; a slow password hash
would only slow down every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from leadblock.domain.ids import now_ms
from leadblock.domain.labels import InvalidLabel, normalise_label
from leadblock.domain.records import ApiKey, Caller
from leadblock.errors import InvalidInput, NotAuthenticated, NotFound, ServiceUnavailable
from leadblock.services.blocklist import require_writer
from leadblock.storage import workspaces as store
from leadblock.storage.db import Database, Transaction, WouldBlock, no_wait

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_KEY_SHAPE = re.compile(rf"^lb_({_KEY_ID.pattern})_([A-Za-z0-9_-]{{43}})$")
_LAST_USED_RESOLUTION_MS = 60_000
# Compared against when the key id is unknown, so both paths do the same work.
_NO_SUCH_HASH = hashlib.sha256(b"no such key").hexdigest()


def create_key(
    tx: Transaction, workspace_id: str, *, read_only: bool = False, name: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; return it with the plain-text key, which is never available again."""
    if store.find_workspace(tx, workspace_id) is None:
        raise NotFound(f"Workspace {workspace_id} does not exist.")
    key = ApiKey(
        id=secrets.token_hex(8),
        workspace_id=workspace_id,
        name=name,
        read_only=read_only,
        created_at=now_ms(),
        revoked_at=None,
        last_used_at=None,
    )
    plain = f"lb_{key.id}_{secrets.token_urlsafe(32)}"
    store.insert_key(tx, key, _hash(plain))
    return key, plain


def list_keys(tx: Transaction, workspace_id: str) -> list[ApiKey]:
    if store.find_workspace(tx, workspace_id) is None:
        raise NotFound(f"Workspace {workspace_id} does not exist.")
    return store.keys_of(tx, workspace_id)


def revoke_key(tx: Transaction, key_id: str) -> ApiKey:
    """Revoke a key (revoking a revoked key changes nothing)."""
    key = store.find_key(tx, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist.")
    if key.revoked_at is None:
        at = now_ms()
        store.revoke_key(tx, key_id, at)
        key = replace(key, revoked_at=at)
    return key


def workspace_keys(tx: Transaction, caller: Caller) -> list[ApiKey]:
    """The keys of the caller's workspace, revoked ones included (never their secrets)."""
    return store.keys_of(tx, caller.workspace_id)


def issue_key(
    tx: Transaction, caller: Caller, *, name: str | None, read_only: bool
) -> tuple[ApiKey, str]:
    """A new key of the caller's workspace; the plain-text key is returned only here."""
    require_writer(caller)
    return create_key(tx, caller.workspace_id, read_only=read_only, name=_key_name(name))


def revoke_workspace_key(tx: Transaction, caller: Caller, key_id: str) -> ApiKey:
    """Revoke a key of the caller's workspace; a key of another workspace is not found."""
    require_writer(caller)
    key = store.find_key(tx, key_id) if is_key_id(key_id) else None
    if key is None or key.workspace_id != caller.workspace_id:
        raise NotFound("API key not found.")
    return revoke_key(tx, key_id)


def is_key_id(value: str) -> bool:
    """Whether `value` has the shape of a key id (the part of a key before its secret)."""
    return _KEY_ID.fullmatch(value) is not None


def require_key_shape(plain: str | None) -> str:
    """The key if it has the shape of one (no database involved), else `NotAuthenticated`."""
    return _parse_key(plain)[0]


# Records a key's last use (key id, when); given, it replaces the write `authenticate` makes.
RecordUse = Callable[[str, int], None]
# The row `authenticate` verifies (`store.find_key_for_auth`'s columns), by key id; None if none.
FindKeyRow = Callable[[Transaction, str], Any]


def authenticate(
    database: Database,
    plain: str | None,
    record_use: RecordUse | None = None,
    tx: Transaction | None = None,
    find_row: FindKeyRow | None = None,
) -> Caller:
    """The caller a key stands for; every request checks the database, so a revocation
    takes effect on the next request of every process. The key is looked up in `tx` if given
    (the request's own transaction), else in a transaction of its own, by `find_row` if given
    (which may read more in the same statement). Its last use is noted at most once a minute, by
    `record_use` if given."""
    plain, key_id = _parse_key(plain)
    find = find_row or store.find_key_for_auth
    if tx is None:
        with database.transaction() as own:
            row = find(own, key_id)
    else:
        row = find(tx, key_id)
    expected = row.secret_hash if row is not None else _NO_SUCH_HASH
    if not hmac.compare_digest(_hash(plain), expected) or row is None or row.revoked_at:
        raise NotAuthenticated("Invalid or revoked API key.")
    now = now_ms()
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION_MS:
        (record_use or partial(_record_last_use, database))(row.id, now)
    return Caller(
        workspace_id=row.workspace_id,
        workspace=row.workspace,
        key_id=row.id,
        read_only=bool(row.read_only),
    )


def touch(tx: Transaction, key_id: str, at: int) -> None:
    """Note that a key was used at `at`."""
    store.touch_key(tx, key_id, at)


def _record_last_use(database: Database, key_id: str, at: int) -> None:
    """Note when a key was last used, if that needs no wait: a busy database (a large import)
    must never delay or fail a request for this. A later request records it instead."""
    try:
        with no_wait(), database.transaction(write=True) as tx:
            store.touch_key(tx, key_id, at)
    except (WouldBlock, ServiceUnavailable):
        pass


def _parse_key(plain: str | None) -> tuple[str, str]:
    """(key, key id) of a key of the right shape, else `NotAuthenticated`."""
    if not plain:
        raise NotAuthenticated("Missing API key: send it in the x-api-key header.")
    match = _KEY_SHAPE.match(plain)
    if match is None:
        raise NotAuthenticated("Invalid or revoked API key.")
    return plain, match.group(1)


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


def _key_name(name: str | None) -> str | None:
    """A key's optional name: absent or blank is no name; else a label (1–200 characters)."""
    if name is None or not name.strip():
        return None
    try:
        return normalise_label(name, "Key name")
    except InvalidLabel as error:
        raise InvalidInput(f"{error}.") from None
