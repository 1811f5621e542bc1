"""The request unit: what every API request does around its own work, written once.

    verify the key   (a wrong one is charged to the address's failure budget: 401 or 429)
    charge its rate limit   (429 with Retry-After)
    wait for the write lock   (SQLite writes: at most the busy timeout, then 503)
    open one transaction, run the handler's work, commit
        (a write with an Idempotency-Key: the stored answer instead, or the work's answer
        stored in the same transaction; api/idempotency.py)
    answer the work's JSON with the key's RateLimit-* headers

Where it runs (SQLite): a read runs on the event loop when it is small, in the thread pool
otherwise, and verifies the key in its own transaction. On these machines a hop to the thread
pool costs more than the whole database work of a single-lead read (~0.2 ms of work, ~1 ms for
the hop under load, as threads wait for the GIL behind the event loop; docs/performance.md), and
WAL reads never wait for a lock. Every write goes to the group commit
(`storage/group_commit.py`): one writer thread runs the writes queued meanwhile in one
transaction and answers them after its one fsync, so no commit ever waits for the disk on the
event loop, and writers waiting behind a large import hold no thread. PostgreSQL: the key is
checked inside the work's own transaction. Small work runs on the event loop on an async
connection (`Database.run`): its statements await the network in a greenlet, so no round trip
stalls the loop and no thread is needed (a hop cost more than the whole work); larger work goes
to the thread pool, as its Python would hold the loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import IO, Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from leadblock.api import idempotency
from leadblock.api.idempotency import Answer, Idempotency, IdempotentRequest
from leadblock.domain.records import Caller
from leadblock.errors import NotAuthenticated
from leadblock.services import keys
from leadblock.services.background import Foreground
from leadblock.services.blocklist import require_writer
from leadblock.storage.db import Database, Rollback, Transaction
from leadblock.storage.group_commit import GroupCommit, read_small, write_small
from leadblock.web.access_log import note_caller
from leadblock.web.ratelimit import RateLimiter, client_address
from leadblock.web.responses import OrjsonResponse

# Requests with at most this many leads, identifiers or rows may run on the event loop.
INLINE_MAX_ITEMS = 100
# The size to give work that is never small enough (a scan), so it always runs in a thread.
LARGE_WORK = INLINE_MAX_ITEMS + 1

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler's work answers: a JSON body and headers of its own (paging)."""

    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


Work = Callable[[Transaction, Caller], Any]
# How a streamed write's own write transaction answers: `publish(tx, work)` runs `work()` (the
# answer's JSON body) in `tx`, once per Idempotency-Key.
Publish = Callable[[Transaction, Callable[[], Any]], Answer]


@dataclass(frozen=True, slots=True)
class UnitServices:
    """What every request unit works with, kept on the app's state as one attribute: each
    attribute of Starlette's `State` is a failed lookup and a `__getattr__` call."""

    database: Database
    limiter: RateLimiter
    group_commit: GroupCommit | None
    idempotency: Idempotency
    foreground: Foreground


class RequestUnit:
    def __init__(
        self, request: Request, api_key: str | None, idempotency_key: str | None = None
    ) -> None:
        services: UnitServices = request.app.state.unit_services
        self.request = request
        self.database = services.database
        self.limiter = services.limiter
        self.group_commit = services.group_commit
        self.idempotency = services.idempotency
        self.foreground = services.foreground
        self.address = client_address(request.scope)
        self.api_key = api_key
        self.idempotency_key = idempotency_key
        self.verified: Caller | None = None  # once `authenticate` has verified and charged it
        # PostgreSQL: the keyed write whose Idempotency-Key is claimed with the API key's
        # verification, in the work's own transaction.
        self.claiming: IdempotentRequest | None = None
        # A read's own lookup of the API key, which reads its work's data in the same statement.
        self.find_key_row: keys.FindKeyRow | None = None

    @property
    def rate_headers(self) -> dict[str, str]:
        """The RateLimit-* headers of the key this request was charged to (none before)."""
        headers: dict[str, str] = getattr(self.request.state, "rate_headers", {})
        return headers

    async def read(
        self, work: Work, *, items: int = 1, find_key_row: keys.FindKeyRow | None = None
    ) -> Response:
        """Run `work` in a read transaction of the verified caller; answer its reply. The key
        is looked up by `find_key_row` when given, which may read what `work` needs in the same
        statement (`blocklist.OneLeadCheck`)."""
        self.find_key_row = find_key_row
        return self._answer(await self._run(work, write=False, items=items))

    async def write(self, work: Work, *, items: int = 1, dry_run: bool = False) -> Response:
        """Run `work` in a write transaction of the verified caller; answer its reply. With an
        Idempotency-Key, once: a retry gets the first answer. A dry run does the very same work
        and rolls it back: the same answer, nothing written, no event, and no key stored (a
        read-only key may ask for one, since nothing changes)."""
        if dry_run:

            def rolled_back(tx: Transaction, caller: Caller) -> Any:
                raise Rollback(work(tx, replace(caller, read_only=False)))

            try:
                await self._run(rolled_back, write=True, items=items)
            except Rollback as done:
                return self._answer(done.answer)
            raise AssertionError("a dry run's work always rolls back")
        if self.idempotency_key is None:
            return self._answer(await self._run(work, write=True, items=items))
        request = self._idempotent_request(hashlib.sha256(await self.request.body()))
        if self.group_commit is None:
            self.claiming = request

        def once(tx: Transaction, caller: Caller) -> Answer:
            # A read-only key is refused before any answer is looked up, and its refusal is not
            # kept: it is about who asked, and the writer key's retry must run.
            require_writer(caller)
            return self.idempotency.answer_once(
                tx, caller.workspace, request, lambda: _body(work(tx, caller))
            )

        try:
            try:
                answer = await self._run(once, write=True, items=items)
            except Rollback as refused:
                answer = await self._store_refusal(request, refused.answer)
            return self._replay(answer)
        finally:
            self.idempotency.done(request)

    async def write_streamed(
        self, caller: Caller, body_sha256: Any, run: Callable[[Publish], Answer]
    ) -> Response:
        """A write that opens its own transactions in a thread (an import: staged, then
        published in one write transaction): `run(publish)` answers through `publish`, which
        stores the answer with an Idempotency-Key. The key's stored answer is looked for first,
        so a retry is answered before its upload is staged again."""
        with self.foreground.working():
            return await self._write_streamed(caller, body_sha256, run)

    async def _write_streamed(
        self, caller: Caller, body_sha256: Any, run: Callable[[Publish], Answer]
    ) -> Response:
        if self.idempotency_key is None:
            return self._replay(await run_in_threadpool(run, _publish_plainly))
        require_writer(caller)
        request = self._idempotent_request(body_sha256)
        try:
            replay = await self._read(
                lambda tx: self.idempotency.stored_answer(tx, caller.workspace, request, lock=False)
            )
            if replay is not None:
                return self._replay(replay)
            publish: Publish = partial(_publish_once, self.idempotency, caller.workspace, request)
            try:
                answer = await run_in_threadpool(run, publish)
            except Rollback as refused:
                answer = await self._store_refusal(request, refused.answer)
            return self._replay(answer)
        finally:
            self.idempotency.done(request)

    async def _store_refusal(self, request: IdempotentRequest, error: Any) -> Answer:
        """Store the refusal the work of `request` answered (its transaction rolled back), for
        the caller verified then: the key is neither verified nor charged again."""
        caller = self.verified
        assert caller is not None

        def refused(tx: Transaction) -> Answer:
            return self.idempotency.refused(tx, caller.workspace, request, error)

        return await write_small(self.database, self.group_commit, refused)

    async def caller(self) -> Caller:
        """The verified, charged caller, for handlers that stream or transact on their own."""
        if self.database.dialect == "sqlite":
            return self.database.read_inline(self.authenticate)
        return await self.database.run(self.authenticate)

    async def _read(self, work: Callable[[Transaction], T]) -> T:
        """`work` in a small read transaction (SQLite: on the event loop)."""
        return await read_small(self.database, work)

    def respond(self, response: Response) -> Response:
        """A response built by the handler, with the caller's rate-limit headers."""
        response.headers.update(self.rate_headers)
        return response

    def authenticate(self, tx: Transaction | None = None) -> Caller:
        """Verify the key (in `tx` if given), then charge its budget (once a request, however
        often it is verified). Never waits for the write lock."""
        self.limiter.refuse_failing_address(self.address, self.api_key)
        # Only in the work's own transaction, where what it reads besides is used.
        find_row = self.find_key_row if tx is not None else None
        if tx is not None and self.group_commit is None:
            # PostgreSQL, the request's own transaction: its last use is noted there too.
            record_use: keys.RecordUse | None = partial(keys.touch, tx)
            if self.claiming is not None:
                find_row = self.idempotency.claiming(self.claiming)
        else:
            record_use = self._record_use
        try:
            caller = keys.authenticate(self.database, self.api_key, record_use, tx, find_row)
        except NotAuthenticated:
            self.limiter.charge_failure(self.address)
            raise
        assert caller.key_id is not None  # only the CLI acts without a key
        if self.verified is None:  # verified again in the work's transaction, charged once
            self.limiter.remember_verified(self.api_key or "")
            # Kept on the request: an error answered from here on (not found, forbidden…) by
            # web/errors.py tells the budget too.
            self.request.state.rate_headers = self.limiter.charge_key(caller.key_id)
        self.verified = caller
        note_caller(caller)
        return caller

    @property
    def _record_use(self) -> keys.RecordUse | None:
        """SQLite: a key's last use is written by the group commit, never on the event loop
        (a commit there may wait for the disk). PostgreSQL: written where it is found."""
        group = self.group_commit
        if group is None:
            return None
        return lambda key_id, at: group.write_later(lambda tx: keys.touch(tx, key_id, at))

    async def _run(self, work: Work, *, write: bool, items: int) -> Any:
        if items <= INLINE_MAX_ITEMS:
            return await self._run_sized(work, write=write, items=items)
        with self.foreground.working():  # background work yields to it meanwhile
            return await self._run_sized(work, write=write, items=items)

    async def _run_sized(self, work: Work, *, write: bool, items: int) -> Any:
        database = self.database
        if database.dialect != "sqlite":
            # One transaction: the key is verified inside the work's own.
            if items <= INLINE_MAX_ITEMS:
                return await database.run(lambda tx: work(tx, self.authenticate(tx)), write=write)
            return await run_in_threadpool(self._transact_verified, work, write)
        if not write:
            # The key is verified in the read's own transaction: one transaction, not two.
            if items <= INLINE_MAX_ITEMS:
                return database.read_inline(lambda tx: work(tx, self.authenticate(tx)))
            return await run_in_threadpool(self._transact_verified, work, False)
        # A point read on the event loop's own connection: WAL reads never wait.
        caller = database.read_inline(self.authenticate)
        assert self.group_commit is not None
        return await self.group_commit.write(lambda tx: work(tx, caller))

    def _transact_verified(self, work: Work, write: bool) -> Any:
        with self.database.transaction(write=write) as tx:
            return work(tx, self.authenticate(tx))

    def _idempotent_request(self, body_sha256: Any) -> IdempotentRequest:
        assert self.idempotency_key is not None
        scope = self.request.scope
        return IdempotentRequest(
            self.idempotency_key,
            scope["method"],
            scope["path"],
            scope["query_string"],
            body_sha256.digest(),
        )

    def _answer(self, reply: Any) -> Response:
        if not isinstance(reply, Reply):
            reply = Reply(reply)
        return OrjsonResponse(reply.body, headers={**reply.headers, **self.rate_headers})

    def _replay(self, answer: Answer) -> Response:
        """A stored answer, byte for byte, with this request's rate-limit headers."""
        headers = dict(self.rate_headers)
        if answer.replayed:
            headers[idempotency.REPLAYED_HEADER] = "true"
        return Response(
            answer.body, status_code=answer.status, media_type="application/json", headers=headers
        )


def _body(reply: Any) -> Any:
    """The JSON body of a write's reply (writes add no headers of their own)."""
    if isinstance(reply, Reply):
        assert not reply.headers, "a stored answer keeps its body only"
        return reply.body
    return reply


def _publish_plainly(_tx: Transaction, work: Callable[[], Any]) -> Answer:
    return Answer(200, orjson.dumps(work()))


def _publish_once(
    registry: Idempotency,
    workspace: int,
    request: IdempotentRequest,
    tx: Transaction,
    work: Callable[[], Any],
) -> Answer:
    return registry.answer_once(tx, workspace, request, work)


async def spool_body(request: Request, spool: IO[bytes]) -> Any:
    """Copy the request's body into `spool` as it arrives; its SHA-256 (a hashlib object)."""
    digest = hashlib.sha256()
    chunks: AsyncIterator[bytes] = request.stream()
    async for chunk in chunks:
        digest.update(chunk)
        spool.write(chunk)
    return digest


async def request_unit(request: Request) -> RequestUnit:
    """The unit of this request. A missing or malformed key is refused here, before the body
    is validated and without a look at the database. The key is read from the headers directly
    (the guard already refused a request with two): a declared header parameter cost every
    request a validation pass; the OpenAPI document declares it as the `apiKey` scheme."""
    x_api_key = request.headers.get("x-api-key")
    unit = RequestUnit(request, x_api_key)
    limiter = unit.limiter
    try:
        keys.require_key_shape(x_api_key)
    except NotAuthenticated:
        limiter.refuse_failing_address(unit.address, None)
        limiter.charge_failure(unit.address)
        raise
    unit.idempotency_key = idempotency.key_of(request.scope["method"], request.headers)
    return unit


Unit = Annotated[RequestUnit, Depends(request_unit)]
