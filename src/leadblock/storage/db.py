"""The database: engine, transactions, and the translation of driver failures into 503s.

One request is one transaction, opened and committed by the caller (API route or CLI command)
through `Database.transaction()`; services and gateways never commit. On SQLite a write
transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front, so two writers never
deadlock upgrading read locks; `synchronous=FULL` in WAL mode makes every acknowledged commit
survive a crash of the process and of the machine.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import orjson
from sqlalchemy import Connection, Engine, Row, TextClause, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from leadblock.config import Settings
from leadblock.errors import ServiceUnavailable
from leadblock.storage.queries import load_queries

# A result row of any width (SQLAlchemy types rows by their column tuple).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


@dataclass
class Transaction:
    """A connection inside one open transaction, with the named queries of its dialect."""

    connection: Connection
    queries: Mapping[str, TextClause]
    dialect: str

    def rows(self, query: str, **params: Any) -> Sequence[AnyRow]:
        return self.connection.execute(self.queries[query], params).all()

    def one(self, query: str, **params: Any) -> AnyRow | None:
        return self.connection.execute(self.queries[query], params).first()

    def scalar(self, query: str, **params: Any) -> Any:
        return self.connection.execute(self.queries[query], params).scalar()

    def execute(self, query: str, **params: Any) -> int:
        """Run a write; return the number of rows it touched."""
        return self.connection.execute(self.queries[query], params).rowcount

    def table(self, rows: Sequence[Sequence[Any]]) -> str:
        """Encode many rows as one JSON parameter, unpacked in SQL with `json_each` (SQLite)
        or `jsonb_array_elements` (PostgreSQL)."""
        return orjson.dumps(rows).decode()


class Database:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.engine = _create_engine(settings)
        self.dialect = self.engine.dialect.name
        self.queries = load_queries(self.dialect)
        self._sqlite_write_lock = threading.Lock()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Transaction]:
        if write and self.dialect == "sqlite":
            # SQLite has one writer at a time. Queue this process's writers on a lock, handed
            # over at once, instead of in SQLite's busy handler, which polls with sleeps of up
            # to 100 ms. Other processes still wait through the busy timeout.
            with self._sqlite_write_lock, self._transaction(write=True) as tx:
                yield tx
            return
        with self._transaction(write=write) as tx:
            yield tx

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Transaction]:
        try:
            with self.engine.connect() as connection:
                options = {"leadblock_write": True} if write else {}
                connection = connection.execution_options(**options)
                with connection.begin():
                    yield Transaction(connection, self.queries, self.dialect)
        except OperationalError as error:
            raise ServiceUnavailable(_unavailable_message(error)) from error
        except PoolTimeout as error:
            raise ServiceUnavailable(
                "All database connections are busy; nothing was written. Retry shortly."
            ) from error
        except DBAPIError as error:
            if error.connection_invalidated:
                # The commit may or may not have landed; blocks are idempotent, so a retry is safe.
                raise ServiceUnavailable(
                    "The database connection was lost; retry (writes are idempotent)."
                ) from error
            raise

    def check_queries(self) -> None:
        """Prepare every named query against the current schema; raise on the first bad one.

        PostgreSQL gets a real PREPARE with typed-by-inference parameters, so a parameter whose
        type cannot be inferred fails here, not on the first request that sends it as NULL.
        """
        with self.engine.connect() as connection:
            for name, query in self.queries.items():
                try:
                    if self.dialect == "postgresql":
                        statement = _positional(str(query.compile(dialect=self.engine.dialect)))
                        connection.exec_driver_sql(f"PREPARE leadblock_check AS {statement}")
                        connection.exec_driver_sql("DEALLOCATE leadblock_check")
                    else:
                        params = dict.fromkeys(query._bindparams)
                        connection.execute(TextClause(f"EXPLAIN {query.text}"), params)
                except DBAPIError as error:
                    raise RuntimeError(f"query {name!r} does not prepare: {error}") from error
            connection.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


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
        )
        _configure_sqlite(engine)
        return engine
    # postgresql://… names the psycopg 3 driver for SQLAlchemy.
    driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(
        driver_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        # A connection that died with its server (restart, failover) is replaced before use,
        # so the service recovers from an outage by itself.
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
            "application_name": "leadblock",
        },
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit transactions defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("leadblock_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _unavailable_message(error: OperationalError) -> str:
    detail = str(error.orig).lower()
    if "full" in detail:
        return "The database is full; nothing was written. Free space and retry."
    if "locked" in detail or "busy" in detail:
        return "The database is busy; nothing was written. Retry shortly."
    return "The database is unavailable; nothing was written. Retry shortly."


def _positional(statement: str) -> str:
    """`%(name)s` placeholders (psycopg) to `$1…$n`, the form PREPARE takes."""
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
    for number, name in enumerate(names, 1):
        statement = statement.replace(f"%({name})s", f"${number}")
    return statement
