"""Group commit (SQLite): the writes of concurrent requests share one transaction and one fsync.

SQLite has one writer at a time, and with `synchronous=FULL` each commit waits for the disk.
Run on the event loop, that wait stalled every other request (a commit behind a large import's
writes took over a second); run one request per thread, each commit paid its own fsync.

Here one writer thread per process takes every write queued since its last commit, runs each
in a savepoint of one shared transaction, commits once, and only then answers each request: a
write is acknowledged only once it is durable, as before. A write that fails (bad input found in
the transaction, not found) rolls back to its savepoint and fails alone; an unexpected failure
rolls the whole transaction back and the others are run again without it. A write waits for the
lock at most its own busy timeout, then fails with `ServiceUnavailable` (503).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from leadblock import metrics
from leadblock.errors import LeadblockError, ServiceUnavailable
from leadblock.storage.db import Database, Rollback, Transaction

logger = logging.getLogger("leadblock")

# Writes per shared transaction: enough for every connection of a loaded server, few enough that
# the first of them is not kept long (the largest request is 10,000 leads).
MAX_BATCH = 256

T = TypeVar("T")

_BUSY = "The database is busy; nothing was written. Retry shortly."


@dataclass(eq=False)
class _Write:
    work: Callable[[Transaction], Any]
    deadline: float  # time.monotonic() after which it gives up waiting for the lock
    # Where to answer; None for a write nobody waits for (`write_later`).
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | None
    outcome: tuple[bool, Any] = field(default=(False, None))  # (succeeded, result or error)
    queued_at: float = field(default_factory=time.monotonic)
    settled: bool = False

    def settle(self) -> None:
        self.settled = True
        if self.loop is not None and self.future is not None:
            self.loop.call_soon_threadsafe(_settle, self.future, *self.outcome)
        elif not self.outcome[0]:
            logger.warning("a background write failed: %s", self.outcome[1])


def _settle(future: asyncio.Future[Any], succeeded: bool, value: Any) -> None:
    if future.done():  # the request went away
        return
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)


class GroupCommit:
    def __init__(self, database: Database, busy_timeout_s: float) -> None:
        self.database = database
        self.busy_timeout_s = busy_timeout_s
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    async def write(self, work: Callable[[Transaction], Any]) -> Any:
        """Run `work` in the next shared write transaction; its result once that committed."""
        self._start()
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._queue.put(_Write(work, time.monotonic() + self.busy_timeout_s, loop, answer))
        return await answer

    def write_later(self, work: Callable[[Transaction], Any]) -> None:
        """Queue `work` for the next shared transaction without waiting for it (bookkeeping
        such as a key's last use: its failure is logged, never a request's)."""
        self._start()
        self._queue.put(_Write(work, time.monotonic() + self.busy_timeout_s, None, None))

    def stop(self) -> None:
        """Finish the writes queued so far, then end the writer thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _start(self) -> None:
        if self._thread is None:
            with self._starting:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="leadblock-group-commit", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    write = self._queue.get_nowait()
                except queue.Empty:
                    break
                if write is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(write)
            try:
                self._commit(batch)
            except BaseException as error:  # never lose the thread, nor leave a request hanging
                logger.exception("group commit failed")
                self._fail([write for write in batch if not write.settled], error)

    def _commit(self, batch: list[_Write]) -> None:
        pending = batch
        while pending:
            now = time.monotonic()
            expired = [write for write in pending if write.deadline <= now]
            pending = [write for write in pending if write.deadline > now]
            self._fail(expired, ServiceUnavailable(_BUSY))
            if not pending:
                return
            wait_s = min(write.deadline for write in pending) - now
            try:
                failed = self._transaction(pending, wait_s)
            except ServiceUnavailable as error:
                if min(write.deadline for write in pending) <= time.monotonic():
                    continue  # the oldest's wait for the lock ran out: it fails, others wait on
                self._fail(pending, error)  # the database failed: nothing was written
                return
            if failed is None:
                for write in pending:
                    write.settle()
                return
            # An unexpected failure rolled everything back: it fails alone, the rest run again.
            self._fail([failed], failed.outcome[1])
            pending = [write for write in pending if write is not failed]

    def _transaction(self, batch: list[_Write], wait_s: float) -> _Write | None:
        """Run the batch in one write transaction; the write whose unexpected failure rolled it
        back, or None once it committed."""
        culprit: _Write | None = None
        try:
            with self.database.transaction(write=True, wait_s=wait_s) as tx:
                cursor = tx.cursor
                for write in batch:
                    culprit = write
                    metrics.observe_database_wait("write_queue", time.monotonic() - write.queued_at)
                    cursor.execute("SAVEPOINT request")
                    try:
                        write.outcome = (True, write.work(tx))
                    except (LeadblockError, Rollback) as error:
                        cursor.execute("ROLLBACK TO request")
                        write.outcome = (False, error)
                    cursor.execute("RELEASE request")
                culprit = None
        except Exception as error:
            if culprit is None:
                raise  # the lock wait or the commit: nothing of the batch was written
            culprit.outcome = (False, error)
            return culprit
        return None

    @staticmethod
    def _fail(writes: list[_Write], error: BaseException) -> None:
        for write in writes:
            write.outcome = (False, error)
            write.settle()


async def write_small(
    database: Database, group_commit: GroupCommit | None, work: Callable[[Transaction], T]
) -> T:
    """Run a small write outside any request: on SQLite in the next shared transaction of the
    group commit, on PostgreSQL on the event loop's async connection."""
    if group_commit is not None:
        result: T = await group_commit.write(work)
        return result
    return await database.run(work, write=True)


async def read_small(database: Database, work: Callable[[Transaction], T]) -> T:
    """Run a small read outside any request: on SQLite on the event loop (WAL reads never
    wait), on PostgreSQL on the event loop's async connection."""
    if database.dialect == "sqlite":
        return database.read_inline(work)
    return await database.run(work)


async def drain_forever(
    database: Database,
    group_commit: GroupCommit | None,
    batch: Callable[[], Callable[[Transaction], int]],
    batch_size: int,
    every_s: float,
    what: str,
) -> None:
    """For the server's lifetime, now and every `every_s`: run `batch()`'s work, a small write
    transaction each, until one does less than `batch_size` (no write waits long behind it).
    A failure is logged and tried again at the next round: the task never ends before the
    server does."""
    while True:
        done = 0
        try:
            while (count := await write_small(database, group_commit, batch())) >= batch_size:
                done += count
            done += count
        except Exception:
            logger.exception("could not %s", what)
        if done:
            logger.info("%s: %d", what, done)
        await asyncio.sleep(every_s)
