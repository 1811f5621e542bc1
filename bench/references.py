"""The independent references of `make bench`, sharing nothing with leadblock: no leadblock code,
settings, middleware, process or database.

- the bare app (`bench/bare_app.py`) in its own uvicorn process;
- raw sqlite3: the `sqlite3` module on a fresh file (WAL, synchronous=FULL), one table with
  only a unique index on the identifier;
- raw psycopg COPY: psycopg on its own connection to its own database, COPY into a temporary
  staging table, then `INSERT … SELECT … ON CONFLICT DO NOTHING`.

Bulk references insert 10,000 rows per transaction and time only the transactions (rows are
made beforehand); imports insert every row in one transaction.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from tests.server import free_port, stop, wait_until_answering

BATCH = 10_000
SEGMENT = 100_000

# (public_identifier, id, reason, created_at): the columns of a blocked lead.
RawRow = tuple[str, str, str, int]
Segments = list[tuple[int, float]]

PROJECT = Path(__file__).resolve().parents[1]


def new_rows(count: int, prefix: str) -> list[RawRow]:
    """`count` rows with random identifiers like the bulk phase's, so in random index order, and
    time-ordered 32-hex ids like leadblock's."""
    now_ms = time.time_ns() // 1_000_000
    base = (now_ms << 80) | secrets.randbits(48)
    return [
        (f"{prefix}{secrets.token_hex(6)}", f"{base + offset:032x}", "bench", now_ms)
        for offset in range(count)
    ]


def timed_batches(insert: Callable[[list[RawRow]], None], total: int) -> Segments:
    """Inserts `total` rows in transactions of 10,000; rows/s of each 100,000 (and of the rest)."""
    segments: Segments = []
    seconds, rows_in_segment = 0.0, 0
    for done in range(BATCH, total + 1, BATCH):
        rows = new_rows(BATCH, "lead-")
        started = time.perf_counter()
        insert(rows)
        seconds += time.perf_counter() - started
        rows_in_segment += BATCH
        if done % SEGMENT == 0 or done == total:
            segments.append((done, rows_in_segment / seconds))
            seconds, rows_in_segment = 0.0, 0
    return segments


def overall_rate(segments: Segments) -> float:
    """Rows/s over all the segments: every row over the sum of the segments' times."""
    seconds, previous = 0.0, 0
    for done, rate in segments:
        seconds += (done - previous) / rate
        previous = done
    return previous / seconds


def timed_once(insert: Callable[[list[RawRow]], None], total: int) -> float:
    """Rows/s of inserting `total` rows in one transaction."""
    rows = new_rows(total, "import-")
    started = time.perf_counter()
    insert(rows)
    return total / (time.perf_counter() - started)


# --- raw sqlite3 ---------------------------------------------------------------------------

SQLITE_TABLE = """
CREATE TABLE leads (
    public_identifier TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    reason TEXT,
    created_at INTEGER NOT NULL
)"""
SQLITE_INSERT = (
    "INSERT INTO leads (public_identifier, id, reason, created_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)


@contextmanager
def sqlite_leads(path: Path) -> Iterator[Callable[[list[RawRow]], None]]:
    """A fresh database file with the table; yields: insert rows in one transaction."""
    path.unlink(missing_ok=True)
    # isolation_level=None: the module opens no transaction of its own, ours are explicit.
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(SQLITE_TABLE)

        def insert(rows: list[RawRow]) -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(SQLITE_INSERT, rows)
            connection.execute("COMMIT")

        yield insert
    finally:
        connection.close()


def sqlite_bulk(path: Path, total: int) -> Segments:
    with sqlite_leads(path) as insert:
        return timed_batches(insert, total)


def sqlite_import(path: Path, total: int) -> float:
    with sqlite_leads(path) as insert:
        return timed_once(insert, total)


# --- raw psycopg COPY ----------------------------------------------------------------------

POSTGRES_TABLE = """
CREATE TABLE {} (
    public_identifier text NOT NULL UNIQUE,
    id text NOT NULL,
    reason text,
    created_at bigint NOT NULL
)"""
STAGING = """
CREATE TEMP TABLE staging (
    public_identifier text, id text, reason text, created_at bigint
) ON COMMIT DELETE ROWS"""
COPY_STAGING = "COPY staging (public_identifier, id, reason, created_at) FROM STDIN"
FROM_STAGING = """
INSERT INTO {} (public_identifier, id, reason, created_at)
SELECT public_identifier, id, reason, created_at FROM staging
ON CONFLICT DO NOTHING"""


@contextmanager
def copied_leads(url: str, table: str) -> Iterator[Callable[[list[RawRow]], None]]:
    """A fresh table and a connection with its staging table; yields: insert rows in one
    transaction."""
    with psycopg.connect(url) as connection:
        connection.execute(sql.SQL(POSTGRES_TABLE).format(sql.Identifier(table)))
        connection.execute(STAGING)
        connection.commit()
        from_staging = sql.SQL(FROM_STAGING).format(sql.Identifier(table))

        def insert(rows: list[RawRow]) -> None:
            with connection.cursor() as cursor:
                with cursor.copy(COPY_STAGING) as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(from_staging)
            connection.commit()

        yield insert


def copy_bulk(url: str, total: int) -> Segments:
    with copied_leads(url, "leads") as insert:
        return timed_batches(insert, total)


def copy_import(url: str, total: int) -> float:
    with copied_leads(url, "imported_leads") as insert:
        return timed_once(insert, total)


# --- the bare app --------------------------------------------------------------------------


@contextmanager
def bare_app(log: Path, database: str | None = None, timeout: float = 30) -> Iterator[int]:
    """`bench/bare_app.py` under uvicorn in its own process (one worker); yields its port and
    stops it afterwards (SIGTERM, then SIGKILL). With `database` (prepared by
    `engine_database`), it serves the hot paths on the raw engine too."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.bare_app:app"),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--log-level", "warning", "--no-access-log"),
    ]
    # Nothing of leadblock's configuration reaches the reference.
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("LEADBLOCK_")
    }
    if database is not None:
        environment["BARE_DATABASE"] = database
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=PROJECT, env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_until_answering("bare app", process, f"http://127.0.0.1:{port}/hello", log, timeout)
        yield port
    finally:
        stop(process)


# --- the bare app on the raw engine ----------------------------------------------------------

BARE_KEY = "bare-" + "k" * 40


def bare_database(target: Path | str) -> str:
    """A fresh database for the bare app's own bulk phase (a SQLite file, or a PostgreSQL URL
    of an empty database): the raw references' `leads` table, and a `keys` table with
    `BARE_KEY`. Returns what to pass as the bare app's database."""
    if isinstance(target, Path):
        target.unlink(missing_ok=True)
        with closing(sqlite3.connect(target, isolation_level=None)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SQLITE_TABLE)
            connection.execute("CREATE TABLE keys (key TEXT PRIMARY KEY)")
            connection.execute("INSERT INTO keys VALUES (?)", (BARE_KEY,))
        return str(target)
    with psycopg.connect(target) as connection:
        connection.execute(sql.SQL(POSTGRES_TABLE).format(sql.Identifier("leads")))
        connection.execute("CREATE TABLE keys (key text PRIMARY KEY)")
        connection.execute("INSERT INTO keys VALUES (%s)", (BARE_KEY,))
    return target


def engine_database(raw_bulk: Path | str) -> tuple[str, list[str]]:
    """Ready the raw bulk reference's database (a SQLite file, or a PostgreSQL URL with its
    `leads` table) for the bare app: a `keys` table with `BARE_KEY`. Returns what to pass as
    the bare app's database and 5,000 identifiers it holds."""
    if isinstance(raw_bulk, Path):
        with closing(sqlite3.connect(raw_bulk, isolation_level=None)) as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY)")
            connection.execute("INSERT OR IGNORE INTO keys VALUES (?)", (BARE_KEY,))
            sample = connection.execute(
                "SELECT public_identifier FROM leads ORDER BY random() LIMIT 5000"
            ).fetchall()
        return str(raw_bulk), [ident for (ident,) in sample]
    with psycopg.connect(raw_bulk) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS keys (key text PRIMARY KEY)")
        connection.execute("INSERT INTO keys VALUES (%s) ON CONFLICT DO NOTHING", (BARE_KEY,))
        # Statistics, as a database in service has: without, a lookup of 10,000 identifiers
        # was planned as a scan of the whole table.
        connection.execute("ANALYZE leads")
        rows = connection.execute(
            "SELECT public_identifier FROM leads ORDER BY random() LIMIT 5000"
        ).fetchall()
    return raw_bulk, [ident for (ident,) in rows]


_RAW_SENDER = """
import json, sys, time
import httpx
url, path = sys.argv[1], sys.argv[2]
bodies = [line.encode() for line in open(path, encoding="utf-8").read().splitlines()]
with httpx.Client(timeout=10) as client:
    started = time.perf_counter()
    for body in bodies:
        client.post(url, content=body, headers={"content-type": "application/json"})
    print(len(bodies) / (time.perf_counter() - started))
"""


def raw_webhook_posts(url: str, bodies: list[bytes], folder: Path) -> float:
    """The receiver's own pace: `bodies` POSTed one at a time, in order, by a bare httpx
    client on one kept-alive connection, in a process of its own (no database, no signing,
    nothing of leadblock's); per second."""
    path = folder / "webhook-bodies.jsonl"
    path.write_bytes(b"\n".join(bodies))
    sent = subprocess.run(
        [sys.executable, "-c", _RAW_SENDER, url, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(sent.stdout)
