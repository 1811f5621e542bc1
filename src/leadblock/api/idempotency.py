"""`Idempotency-Key`: a write sent again with the same key is answered, never done twice.

The first request with a key runs its work; its status and the exact bytes of its body are
stored with the key in the same transaction as its writes, so the answer exists exactly when the
writes do (a rolled-back write stores nothing, a crash after the commit loses nothing). A retry
with the same key, method, path, query and body gets those bytes again with
`Idempotent-Replayed: true`; with anything else, a 422. While the first is still running, a
retry gets a 409: this process's running keys are known here, and on PostgreSQL a transaction
holds the key's advisory lock, seen by every server process; on SQLite the one writer runs the
two in turn, and the second finds the first's answer.

Stored: every answer the work gives, successes and its refusals (400, 404; a refusal undoes the
work's transaction and is stored in a transaction of its own, so no savepoint costs the common
case a round trip). Not stored: 403 (it is about the key that asked: the writer key's retry
must run), 429 and 503 (nothing ran, or the database failed: a retry should run), and a 500
(its transaction rolled back, answer and all). Bodies of 1 KiB or more are stored deflated.
Answers live `LEADBLOCK_IDEMPOTENCY_HOURS`; older ones are not replayed, and are deleted every
minute by `prune_forever`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import Headers

from leadblock.domain.ids import now_ms
from leadblock.errors import (
    Forbidden,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidInput,
    LeadblockError,
    RateLimited,
    ServiceUnavailable,
)
from leadblock.services.keys import FindKeyRow
from leadblock.storage import idempotency as store
from leadblock.storage.db import Database, Rollback, Transaction
from leadblock.storage.group_commit import GroupCommit, drain_forever
from leadblock.web.errors import leadblock_error_response

logger = logging.getLogger("leadblock")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII; no space at either end, which HTTP would strip from the value anyway.
KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"
KEY_RULE = "1 to 255 printable ASCII characters, with no space at either end"
_KEY = re.compile(KEY_PATTERN)
METHODS = frozenset({"POST", "PATCH", "DELETE"})
PRUNE_EVERY_S = 60
PRUNE_BATCH = 1000
_IN_USE = "A request with this Idempotency-Key is still running; retry once it has answered."
_REUSED = (
    "This Idempotency-Key was used for another request (method, path or body differ); "
    "use a new key for a new request."
)


def key_of(method: str, headers: Headers) -> str | None:
    """The request's Idempotency-Key, None without one (or on a method that takes none);
    `InvalidInput` when it breaks `KEY_RULE`, or is sent twice."""
    if method not in METHODS:
        return None
    keys = headers.getlist(HEADER)
    if not keys:
        return None
    if len(keys) > 1:
        raise InvalidInput(f"Send one {HEADER} header, not {len(keys)}.")
    if not _KEY.fullmatch(keys[0]):
        raise InvalidInput(f"{HEADER} must be {KEY_RULE}.")
    return keys[0]


class IdempotentRequest:
    """A request sent with a key: the key and what a retry must match."""

    def __init__(self, key: str, method: str, path: str, query: bytes, body_sha256: bytes):
        self.key = key
        digest = hashlib.sha256()
        for part in (method.encode(), path.encode(), query, body_sha256):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        self.fingerprint = digest.hexdigest()
        self.running_as: tuple[int, str] | None = None  # (workspace, key) while registered
        # The key's claim made with the API key's verification (`claiming`), for that
        # transaction: (tx, locked, stored answer).
        self.claimed: tuple[Transaction, bool, store.StoredAnswer | None] | None = None
        # Answered (or given up: the client went away); its work may still run, queued for the
        # SQLite writer, but it no longer holds the key in this process.
        self.finished = False


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as stored: the status and the body's exact bytes (JSON)."""

    status: int
    body: bytes
    replayed: bool = False


class Idempotency:
    """The keys this process is running, and how long answers are kept."""

    def __init__(self, hours: float) -> None:
        self.keep_ms = int(hours * 3600 * 1000)
        self._running: dict[tuple[int, str], IdempotentRequest] = {}
        self._lock = threading.Lock()

    def answer_once(
        self,
        tx: Transaction,
        workspace: int,
        request: IdempotentRequest,
        work: Callable[[], Any],
    ) -> Answer:
        """The stored answer of `request`'s key, or else the answer of `work()` (its JSON body),
        stored in `tx`. A refusal of `work` raises `Rollback(error)`: its transaction is undone
        with whatever the work wrote, and `refused` stores the refusal in the next one."""
        replay = self.stored_answer(tx, workspace, request, lock=True)
        if replay is not None:
            return replay
        try:
            body = work()
        except (Forbidden, RateLimited, ServiceUnavailable):
            raise
        except LeadblockError as error:
            raise Rollback(error) from error
        return self._store(tx, workspace, request, Answer(200, orjson.dumps(body)))

    def refused(
        self, tx: Transaction, workspace: int, request: IdempotentRequest, error: LeadblockError
    ) -> Answer:
        """Store the refusal of `request`'s work, which `answer_once` rolled back, unless the
        key has found an answer in between (another process's run of the same request)."""
        replay = self.stored_answer(tx, workspace, request, lock=True)
        if replay is not None:
            return replay
        response = leadblock_error_response(error)
        return self._store(
            tx, workspace, request, Answer(response.status_code, bytes(response.body))
        )

    def _store(
        self, tx: Transaction, workspace: int, request: IdempotentRequest, answer: Answer
    ) -> Answer:
        stored = store.StoredAnswer(request.fingerprint, answer.status, answer.body, now_ms())
        store.store(tx, workspace, request.key, stored)
        return answer

    def stored_answer(
        self, tx: Transaction, workspace: int, request: IdempotentRequest, *, lock: bool
    ) -> Answer | None:
        """The answer stored under `request`'s key, to replay (None: run the request).
        Registers the key as running in this process, and with `lock` holds it for `tx`:
        `IdempotencyKeyInUse` if another request holds it, `IdempotencyKeyReused` if the
        key's answer is another request's."""
        if lock:
            locked, stored = _claim(tx, workspace, request)
            if not locked:
                raise IdempotencyKeyInUse(_IN_USE)
            # PostgreSQL: this transaction holds the key's lock, so no other request runs it,
            # even one of this process registered before (its claim fails): this one takes the
            # slot. A claim made with the API key's verification comes before registering, and
            # refusing its holder here left every sender of the key a 409. SQLite's one writer
            # holds every key: the slot decides.
            self._register(workspace, request, take=tx.dialect == "postgresql")
        else:
            self._register(workspace, request)
            stored = store.find(tx, workspace, request.key)
        if stored is None or stored.created_at < now_ms() - self.keep_ms:
            return None
        if stored.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(_REUSED)
        return Answer(stored.status, stored.body, replayed=True)

    @staticmethod
    def claiming(request: IdempotentRequest) -> FindKeyRow:
        """`keys.authenticate`'s lookup of the API key that also claims `request`'s key in its
        workspace, in the same statement (PostgreSQL: one round trip, not two); `answer_once`
        in that transaction then finds the claim made."""

        def find_row(tx: Transaction, api_key_id: str) -> Any:
            row, locked, stored = store.claim_verifying_api_key(tx, api_key_id, request.key)
            request.claimed = (tx, locked, stored) if row is not None else None
            return row

        return find_row

    def done(self, request: IdempotentRequest) -> None:
        """`request` has answered, or was cancelled: its key is free in this process."""
        with self._lock:
            request.finished = True
            if request.running_as is not None:
                if self._running.get(request.running_as) is request:
                    del self._running[request.running_as]
                request.running_as = None

    def prune(self, tx: Transaction) -> int:
        """Delete up to `PRUNE_BATCH` expired answers; return how many."""
        return store.prune(tx, now_ms() - self.keep_ms, PRUNE_BATCH)

    def _register(self, workspace: int, request: IdempotentRequest, *, take: bool = False) -> None:
        slot = (workspace, request.key)
        with self._lock:
            if request.finished:
                return
            running = self._running.setdefault(slot, request)
            if running is not request:
                if not take:
                    raise IdempotencyKeyInUse(_IN_USE)
                running.running_as = None
                self._running[slot] = request
            request.running_as = slot


def _claim(
    tx: Transaction, workspace: int, request: IdempotentRequest
) -> tuple[bool, store.StoredAnswer | None]:
    """The claim of `request`'s key in `tx`: the one made with the API key's verification in
    `tx` if any, else made now."""
    claimed, request.claimed = request.claimed, None
    if claimed is not None and claimed[0] is tx:
        return claimed[1], claimed[2]
    return store.claim(tx, workspace, request.key)


async def prune_forever(
    database: Database, group_commit: GroupCommit | None, idempotency: Idempotency
) -> None:
    """Delete expired answers now and every minute after, 1,000 per transaction."""
    await drain_forever(
        database,
        group_commit,
        lambda: idempotency.prune,
        PRUNE_BATCH,
        PRUNE_EVERY_S,
        "delete expired idempotency answers",
    )
