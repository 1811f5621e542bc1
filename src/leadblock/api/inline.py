"""Where a request's database work runs: on the event loop when it is small and SQLite can
answer at once, in the thread pool otherwise.

On these machines a hop to the thread pool costs more than the whole database work of a
single-lead request (a one-lead check: ~0.2 ms of work, ~1 ms for the hop under load, as
threads wait for the GIL behind the event loop; docs/performance.md). SQLite in WAL mode
answers reads without waiting, and a write waits only for another writer, so small work runs
inline under `no_wait()`: if a writer holds the lock, `WouldBlock` is raised before anything
is written and the same work is run again in the thread pool, where it may wait. PostgreSQL
always goes through the thread pool: a network round trip must not stall the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from leadblock.storage.db import Database, WouldBlock, no_wait

# Requests with at most this many leads, identifiers or rows may run on the event loop.
INLINE_MAX_ITEMS = 100
# The size to give work that is never small enough (a scan), so it always runs in a thread.
LARGE_WORK = INLINE_MAX_ITEMS + 1

T = TypeVar("T")


async def run_database_work(database: Database, work: Callable[[], T], items: int = 1) -> T:
    """Run `work` (which opens its own transactions) inline if it may, else in a thread."""
    if database.dialect == "sqlite" and items <= INLINE_MAX_ITEMS:
        try:
            with no_wait():
                return work()
        except WouldBlock:
            pass
    return await run_in_threadpool(work)
