"""The database: engine, transactions, and the translation of driver failures into 503s.

One request is one transaction, opened and committed by the caller (API route or CLI command)
through `Database.transaction()`; services and gateways never commit. On SQLite a write
transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front, so two writers never
deadlock upgrading read locks; `synchronous=FULL` in WAL mode makes every acknowledged commit
survive a crash of the process and of the machine. On PostgreSQL a small read runs in
autocommit (`Database.run`): at READ COMMITTED each statement sees its own snapshot either way,
so what a decision weighs together is read in one statement (storage/blocks.py).
"""

from __future__ import annotations

import logging
import random
import select
import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import orjson
import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from leadblock import metrics
from leadblock.config import Settings
from leadblock.domain.ids import ids_after
from leadblock.errors import InvalidInput, ServiceUnavailable
from leadblock.storage.queries import Query, for_driver, load_queries

logger = logging.getLogger("leadblock")

# Failures of the database rather than of the statement: the request answers 503.
_UNAVAILABLE: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


T = TypeVar("T")

_BUSY = "The database is busy; nothing was written. Retry shortly."


class WouldBlock(Exception):
    """Raised in `no_wait()` mode when the database cannot be had without waiting."""


class Rollback(Exception):
    """Raised by work to roll its transaction back and still answer: a dry run. Carries the
    answer the work computed, which the caller takes from it."""

    def __init__(self, answer: Any) -> None:
        super().__init__("rolled back on purpose")
        self.answer = answer


_no_wait: ContextVar[bool] = ContextVar("leadblock_no_wait", default=False)
# The connection every transaction of a `Database.pinned()` block runs on.
_pinned: ContextVar[Any | None] = ContextVar("leadblock_pinned", default=None)


@contextmanager
def no_wait() -> Iterator[None]:
    """Within this block, SQLite transactions never wait for a lock: they raise `WouldBlock`
    instead, before anything is written. Lets small requests run on the event loop."""
    token = _no_wait.set(True)
    try:
        yield
    finally:
        _no_wait.reset(token)


def _row_class(columns: list[str]) -> Any:
    return namedtuple("Row", columns)


# The row class of each statement's text (its columns never change): reading them back from
# the cursor's description on every call cost a tenth of a single-lead read.
_ROW_CLASSES: dict[str, Any] = {}


@dataclass
class Transaction:
    """A driver cursor inside one open transaction, with the named queries of its dialect.

    Statements go to the DB-API driver directly (sqlite3 or psycopg): SQLAlchemy's execution
    layer cost ~90 µs a transaction, more than the statements of a single-lead request.
    Rows come back as named tuples.
    """

    cursor: Any
    queries: Mapping[str, Query]
    dialect: str
    # A random number fixed for the transaction, to spread hot rows (counters) over slots.
    spread: int = field(default_factory=lambda: random.randrange(1 << 30))
    # Rows this transaction added, by table: see `grew`.
    growth: dict[str, int] = field(default_factory=dict)
    # The last id `increasing_ids` issued.
    last_id: str | None = None

    def increasing_ids(self, count: int, at: int) -> list[str]:
        """New record ids, each greater than every one this transaction issued before
        (`domain.ids.ids_after`): the events of one transaction keep the order they were
        recorded in, even within one millisecond."""
        ids = ids_after(self.last_id, count, at)
        if ids:
            self.last_id = ids[-1]
        return ids

    def grew(self, table: str, rows: int) -> None:
        """Note that `rows` were added to `table`. After the commit, PostgreSQL's statistics of
        a table that grew by a tenth or more are refreshed (`refresh_statistics`)."""
        if rows:
            self.growth[table] = self.growth.get(table, 0) + rows

    def rows(self, query: str, **params: Any) -> list[Any]:
        cursor = self.cursor
        sql = self.queries[query].sql
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
        row = _ROW_CLASSES.get(sql)
        if row is None:
            row = _ROW_CLASSES[sql] = _row_class([column[0] for column in cursor.description])
        return list(map(row._make, fetched))

    def tuples(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows as the driver returns them, positional: for reads of many rows (export)."""
        self.cursor.execute(self.queries[query].sql, params)
        return list(self.cursor.fetchall())

    def one(self, query: str, **params: Any) -> Any | None:
        rows = self.rows(query, **params)
        return rows[0] if rows else None

    def scalar(self, query: str, **params: Any) -> Any:
        self.cursor.execute(self.queries[query].sql, params)
        row = self.cursor.fetchone()
        return row[0] if row else None

    def execute(self, query: str, **params: Any) -> int:
        """Run a write; return the number of rows it touched."""
        self.cursor.execute(self.queries[query].sql, params)
        return int(self.cursor.rowcount)

    def table(self, rows: Sequence[Sequence[Any]]) -> str:
        """Encode many rows as one JSON parameter, unpacked in SQL with `json_each` (SQLite)
        or `jsonb_array_elements` (PostgreSQL)."""
        return orjson.dumps(rows).decode()

    def load(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        """Send many rows to a loading statement: a `COPY … FROM STDIN` on PostgreSQL (the
        fastest way in), one JSON parameter `:rows` on SQLite (no round trips to save)."""
        if self.dialect == "postgresql":
            with self.cursor.copy(self.queries[query].sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.execute(query, rows=self.table(rows))


class Database:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        # SQLAlchemy keeps the pool (sizes, timeouts, pre-ping) and runs Alembic; requests
        # talk to the pooled driver connections directly.
        self.engine = _create_engine(settings)
        self.dialect = self.engine.dialect.name
        # PostgreSQL: small requests run on the event loop, on psycopg's async connections.
        self.async_engine = _create_async_engine(settings) if self.dialect == "postgresql" else None
        self.queries = load_queries(self.dialect)
        self._sqlite_write_lock = threading.Lock()
        self._busy_timeout_ms = settings.db_busy_timeout_ms
        # SQLite: each thread's own connection for its event loop's small reads (`read_inline`),
        # and all of them, to close with the pool.
        self._inline = threading.local()
        self._inline_connections: list[Any] = []

    def add_query(self, name: str, source: str) -> None:
        self.queries[name] = for_driver(source, self.dialect)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Run every transaction of this block (in this thread) on one connection, so a
        temporary table filled in one is read by the next: an import is staged without the
        write lock, then written in one short write transaction."""
        connection = self._connect()
        token = _pinned.set(connection)
        try:
            yield
        finally:
            _pinned.reset(token)
            connection.close()

    @contextmanager
    def transaction(
        self, *, write: bool = False, wait_s: float | None = None
    ) -> Iterator[Transaction]:
        """One transaction, committed when the block ends. A SQLite write waits for the write
        lock at most `wait_s` (default: the busy timeout), then raises `ServiceUnavailable`."""
        if write and self.dialect == "sqlite":
            # SQLite has one writer at a time. Queue this process's writers on a lock, handed
            # over at once, instead of in SQLite's busy handler, which polls with sleeps of up
            # to 100 ms. Other processes still wait through the busy timeout.
            waiting_since = time.perf_counter()
            if _no_wait.get():
                if not self._sqlite_write_lock.acquire(blocking=False):
                    raise WouldBlock
            else:
                started = time.monotonic()
                timeout = self._busy_timeout_ms / 1000 if wait_s is None else wait_s
                if not self._sqlite_write_lock.acquire(timeout=timeout):
                    raise ServiceUnavailable(_BUSY)
                wait_s = max(0.0, timeout - (time.monotonic() - started))
            try:
                with self._transaction(
                    write=True, wait_s=wait_s, waiting_since=waiting_since
                ) as tx:
                    yield tx
            finally:
                self._sqlite_write_lock.release()
            return
        with self._transaction(write=write) as tx:
            yield tx

    def read_inline(self, work: Callable[[Transaction], T]) -> T:
        """SQLite: `work`'s reads on this thread's own connection, kept for the small reads its
        event loop runs inline (WAL reads never wait for a lock). A checkout from the pool and
        its return cost more than a single-lead read's statements. In autocommit, as
        PostgreSQL's small reads (`_run_on`): each statement reads a snapshot of its own, and
        what must be seen together is read in one statement; BEGIN and COMMIT cost a
        single-lead read a tenth of its time and bought nothing."""
        connection = getattr(self._inline, "connection", None)
        if connection is None or not connection.is_valid:
            connection = self._inline.connection = self._connect()
            self._inline_connections.append(connection)
        try:
            return work(Transaction(connection.cursor(), self.queries, self.dialect))
        except BaseException as error:
            _raise_failure(connection, error)

    async def run(self, work: Callable[[Transaction], T], *, write: bool = False) -> T:
        """PostgreSQL: run `work` in one transaction on an async connection, on the event
        loop, with no thread. `work` is the same synchronous code as everywhere else: it runs
        in a greenlet (SQLAlchemy's `run_sync`), and each statement awaits the network there,
        so the event loop serves other requests meanwhile. For small work only: the Python
        between two statements holds the loop."""
        assert self.async_engine is not None, "PostgreSQL only"
        with _getting_connection():
            connection = await self.async_engine.connect()
        try:
            return await connection.run_sync(self._run_on, work, write)
        finally:
            await connection.close()

    def _run_on(self, connection: Any, work: Callable[[Transaction], T], write: bool) -> T:
        if write:
            with self._transaction(write=True, connection=connection.connection) as tx:
                return work(tx)
        # A read in autocommit: at READ COMMITTED each statement of a transaction sees a
        # snapshot of its own anyway (what must be seen together is read in one statement:
        # storage/blocks.py), so BEGIN and COMMIT gave a small read two round trips and
        # nothing else. The connection leaves in transaction mode, as it came.
        driver = connection.connection.dbapi_connection
        driver.autocommit = True
        try:
            with self._transaction(write=False, connection=connection.connection) as tx:
                return work(tx)
        finally:
            try:
                driver.autocommit = False
            except Exception:
                # A connection that cannot leave autocommit must never carry a write.
                connection.connection.invalidate()

    async def close(self) -> None:
        """Close the async connections (the server's shutdown)."""
        if self.async_engine is not None:
            await self.async_engine.dispose()

    def _connect(self) -> Any:
        with _getting_connection():
            return self.engine.raw_connection()

    @contextmanager
    def _transaction(
        self,
        *,
        write: bool,
        wait_s: float | None = None,
        connection: Any = None,
        waiting_since: float | None = None,
    ) -> Iterator[Transaction]:
        """A transaction on `connection` if given (owned by the caller), else on the pinned
        connection, else on one from the pool. A SQLite write's wait for the write lock (since
        `waiting_since`, this process's lock included) is counted for /metrics."""
        pinned = _pinned.get()
        owned = connection is None and pinned is None
        if connection is None:
            connection = pinned if pinned is not None else self._connect()
        try:
            cursor = connection.cursor()
            if self.dialect == "sqlite":
                # BEGIN IMMEDIATE takes the write lock up front: two writers never deadlock
                # upgrading read locks.
                if write and _no_wait.get():
                    self._begin_immediate_or_raise(cursor)
                elif write and wait_s is not None and wait_s * 1000 < self._busy_timeout_ms:
                    # What is left of this request's wait, not a whole busy timeout again.
                    self._begin_immediate_within(cursor, wait_s)
                else:
                    cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                if waiting_since is not None:
                    metrics.observe_database_wait("write_lock", time.perf_counter() - waiting_since)
            tx = Transaction(cursor, self.queries, self.dialect)
            yield tx
            connection.commit()
            if tx.growth and self.dialect == "postgresql":
                refresh_statistics(connection, tx.growth)
        except BaseException as error:
            _raise_failure(connection, error)
        finally:
            if owned:
                connection.close()

    def _begin_immediate_or_raise(self, cursor: Any) -> None:
        """BEGIN IMMEDIATE without the busy timeout: `WouldBlock` if another process writes."""
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise WouldBlock from error
            raise
        finally:
            cursor.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    def _begin_immediate_within(self, cursor: Any, wait_s: float) -> None:
        cursor.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        finally:
            cursor.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    def check_queries(self) -> None:
        """Prepare every named query against the current schema; raise on the first bad one.

        PostgreSQL gets a real PREPARE with typed-by-inference parameters, so a parameter whose
        type cannot be inferred fails here, not on the first request that sends it as NULL.
        """
        by_verb: dict[str, list[str]] = {}
        for name, query in self.queries.items():
            by_verb.setdefault(_statement_verb(query.sql), []).append(name)
        # Temporary tables (an import's staging) are made first so the statements that use
        # them can be checked, and dropped after; a COPY cannot be prepared and is skipped.
        creates, drops = by_verb.pop("CREATE", []), by_verb.pop("DROP", [])
        by_verb.pop("COPY", None)
        with self._transaction(write=False) as tx:
            for name in [*creates, *(name for names in by_verb.values() for name in names)]:
                try:
                    self._check_query(tx, self.queries[name], run=name in creates)
                except (sqlite3.Error, psycopg.Error) as error:
                    raise RuntimeError(f"query {name!r} does not prepare: {error}") from error
            for name in drops:
                tx.execute(name)

    def _check_query(self, tx: Transaction, query: Query, *, run: bool) -> None:
        if run:
            tx.cursor.execute(query.sql)
        elif self.dialect == "postgresql":
            statement = query.sql.replace("%%", "%")
            for number, parameter in enumerate(query.parameters, 1):
                statement = statement.replace(f"%({parameter})s", f"${number}")
            tx.cursor.execute(f"PREPARE leadblock_check AS {statement}")
            tx.cursor.execute("DEALLOCATE leadblock_check")
        else:
            tx.cursor.execute(f"EXPLAIN {query.sql}", dict.fromkeys(query.parameters))
            tx.cursor.fetchall()  # an unfinished statement would block the commit

    def dispose(self) -> None:
        for connection in self._inline_connections:
            connection.close()
        self._inline_connections.clear()
        self.engine.dispose()


# Growth, in rows and as a share of the rows the statistics know of, that makes them stale.
STALE_ROWS = 1_000
STALE_SHARE = 0.1


def refresh_statistics(connection: Any, growth: Mapping[str, int]) -> None:
    """ANALYZE each table that grew by a tenth of what its statistics know (and by 1,000 rows
    or more), as autovacuum would within a minute, but before the answer. Why: right after a
    bulk enrolment, the planner saw a campaign's thousands of leads or blocks as one row and
    probed them through an index it could only use by prefix; a dispatch then scanned 20,000
    campaign blocks for every lead (276 ms instead of 6). A failure only costs the refresh.
    Growth below `STALE_ROWS` is never stale: a small write asks nothing more (a single-lead
    write paid three round trips for the question)."""
    large = {table: rows for table, rows in growth.items() if rows >= STALE_ROWS}
    if not large:
        return
    try:
        cursor = connection.cursor()
        for table, rows in large.items():
            # -1: never analyzed nor vacuumed.
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table,))
            (known,) = cursor.fetchone()
            if rows >= STALE_SHARE * max(known, 0):
                cursor.execute(f'ANALYZE "{table}"')  # the names are ours, never input
        connection.commit()
    except psycopg.Error as error:
        _roll_back(connection)
        logger.warning("statistics not refreshed: %s: %s", type(error).__name__, error)


def _statement_verb(sql: str) -> str:
    code = (line for line in sql.splitlines() if line.strip() and not line.startswith("--"))
    return next(code, "").split(maxsplit=1)[0].upper()


def _connection_lost(connection: Any) -> bool:
    driver = connection.driver_connection
    return isinstance(driver, psycopg.Connection | psycopg.AsyncConnection) and (
        driver.closed or driver.broken
    )


@contextmanager
def _getting_connection() -> Iterator[None]:
    """Getting a connection: the wait counted for /metrics, failures as the 503s they are."""
    started = time.perf_counter()
    try:
        yield
        metrics.observe_database_wait("connection", time.perf_counter() - started)
    except PoolTimeout as error:
        raise ServiceUnavailable(
            "All database connections are busy; nothing was written. Retry shortly."
        ) from error
    except DBAPIError as error:
        raise ServiceUnavailable(_unavailable_message(error.orig)) from error
    except _UNAVAILABLE as error:  # the pool connects through the driver, unwrapped
        raise ServiceUnavailable(_unavailable_message(error)) from error


def _raise_failure(connection: Any, error: BaseException) -> NoReturn:
    """Roll back the transaction `error` ended, and raise what it means to the service
    (`error` itself when it means nothing more)."""
    _roll_back(connection)
    if isinstance(error, psycopg.DataError):
        # Input PostgreSQL cannot store (a NUL byte in text): the services validate what they
        # know of; this is the net under them.
        raise InvalidInput(
            "The request holds text the database cannot store (a NUL character?)."
        ) from error
    if not isinstance(error, _UNAVAILABLE):
        raise error
    if _connection_lost(connection):
        # The commit may or may not have landed; blocks are idempotent, so a retry is safe.
        connection.invalidate(error)
        raise ServiceUnavailable(
            "The database connection was lost; retry (writes are idempotent)."
        ) from error
    logger.warning("database unavailable: %s: %s", type(error).__name__, error)
    raise ServiceUnavailable(_unavailable_message(error)) from error


def _roll_back(connection: Any) -> None:
    try:
        connection.rollback()
    except Exception:
        connection.invalidate()


def _create_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.db_busy_timeout_ms / 1000,
            },
            # One pooled connection per request thread (anyio's default limit is 40): an
            # overflow connection would be opened and closed per request, PRAGMAs included.
            pool_size=48,
            max_overflow=16,
            # Most recently used first: requests on the event loop take one connection at a
            # time, and keep finding its page cache warm.
            pool_use_lifo=True,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(**_postgresql_engine_options(settings))
    _configure_postgresql(engine)
    return engine


def _create_async_engine(settings: Settings) -> AsyncEngine:
    """The same connection options, on psycopg's async connections, and `db_pool_size`
    connections with no overflow: on the event loop all concurrent requests ask at once, and
    overflow connections, opened for a burst and closed after, cost more than the wait for a
    pooled one (single checks at 64 connections: 896 req/s with 20 overflow, 950 without).

    No pre-ping: a round trip before every small request cost a fifth of a single check. A
    pooled connection is looked at instead (`_refuse_dead_connection`), which needs none."""
    engine = create_async_engine(
        **{**_postgresql_engine_options(settings), "max_overflow": 0, "pool_pre_ping": False}
    )
    _configure_postgresql(engine.sync_engine)
    event.listen(engine.sync_engine, "checkout", _refuse_dead_connection)
    return engine


def _refuse_dead_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection that its server has closed, without a round trip: an idle
    connection has nothing to read unless the server has ended it (a restart or failover sends
    a termination notice, then closes the socket). The pool then replaces every connection it
    handed out before (`InvalidatePoolError`) and checks out a fresh one; the request goes on
    without seeing the outage, as with a pre-ping. A server gone without a word (its machine
    lost) is found by the request's first statement instead, which then fails with a 503."""
    driver = dbapi_connection.driver_connection
    if driver.closed or driver.broken or _readable(driver.pgconn.socket):
        raise InvalidatePoolError("the server closed this connection")


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _postgresql_engine_options(settings: Settings) -> dict[str, Any]:
    return dict(
        # postgresql://… names the psycopg 3 driver for SQLAlchemy (its async variant in
        # `create_async_engine`).
        url=settings.database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        # A connection that died with its server (restart, failover) is replaced before use,
        # so the service recovers from an outage by itself.
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            # Generic plans, prepared on first use: a plan made for one workspace's id uses
            # that id's statistics, which are stale (often "1 row") for a workspace that has
            # just grown, and once chose to re-read 10,000 identifiers for each of 100,000
            # rows (docs/performance.md, "Plans on stale statistics").
            # READ COMMITTED whatever the server's default: a statement sees what committed
            # before it began (the Idempotency-Key's lock-then-read relies on it).
            "options": (
                f"-c statement_timeout={settings.db_statement_timeout_ms}"
                " -c plan_cache_mode=force_generic_plan"
                " -c default_transaction_isolation=read\\ committed"
            ),
            "prepare_threshold": 0,
            "application_name": "leadblock",
        },
    )


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Room for every named query (about 70) so none is evicted and re-prepared.
        getattr(dbapi_connection, "driver_connection", dbapi_connection).prepared_max = 512


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit transactions defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoint every 10,000 WAL pages (40 MB) instead of 1,000: a page rewritten by many
        # commits in between is copied back once. Bulk writes to 1M blocks +14% in process.
        # Checkpoints run in the committing thread, which is the group commit's, never the
        # event loop's (docs/performance.md, issue #13).
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()


def _unavailable_message(error: BaseException | None) -> str:
    detail = str(error).lower()
    code = getattr(error, "sqlite_errorname", "")
    if "full" in detail or code == "SQLITE_FULL" or code.startswith("SQLITE_IOERR"):
        return (
            "The database could not write to disk (full or failing); nothing was written. "
            "Free space and retry."
        )
    if "locked" in detail or "busy" in detail:
        return _BUSY
    return "The database is unavailable; nothing was written. Retry shortly."
