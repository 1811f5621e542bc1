"""The bare reference of `make bench`: FastAPI with no middleware, nothing of leadblock's.

Run by the bench in its own process:
`python -m uvicorn bench.bare_app:app --host 127.0.0.1 --port N --log-level warning
--no-access-log`. `POST /echo` validates the body shape of leadblock's `POST
/api/v1/blocked-leads` with pydantic and touches no database, so the single-lead paths can be
compared with what a plain FastAPI app costs on the same machine.

With `BARE_DATABASE` set (a SQLite file or a `postgresql://` URL holding the raw bulk
reference's `leads` table and a `keys` table), it also serves leadblock's hot paths the plainest
fast way, to show what FastAPI on the raw engine reaches on this machine: each request looks its
`x-api-key` up, then `GET /check` looks one identifier up, `POST /check` up to 10,000 (results in
input order) and `POST /block` inserts up to 10,000 leads and commits; `POST /import` parses a
CSV upload (`publicIdentifier,reason`) with the `csv` module and inserts every row in one
transaction, as the raw import reference does (SQLite: `executemany`; PostgreSQL: `COPY` into a
staging table, then one `INSERT … SELECT`). SQLite: one `sqlite3` connection used on the event
loop (WAL, `synchronous=FULL`, one commit per write). PostgreSQL: psycopg's async connections
from a `psycopg_pool` pool of 10.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

MAX_LEADS = 10_000
MAX_IDENTIFIER_LENGTH = 2048
DATABASE = os.environ.get("BARE_DATABASE", "")


class Lead(BaseModel):
    public_identifier: Annotated[
        str, Field(alias="publicIdentifier", min_length=1, max_length=MAX_IDENTIFIER_LENGTH)
    ]
    reason: str | None = None


class Leads(BaseModel):
    leads: Annotated[list[Lead], Field(min_length=1, max_length=MAX_LEADS)]


class Identifiers(BaseModel):
    public_identifiers: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=MAX_IDENTIFIER_LENGTH)]],
        Field(alias="publicIdentifiers", min_length=1, max_length=MAX_LEADS),
    ]


class SqliteEngine:
    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")

    async def blocked(self, key: str, identifiers: list[str]) -> dict[str, str]:
        db = self.connection
        db.execute("BEGIN")
        try:
            _require_key(db.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone())
            if len(identifiers) == 1:
                rows = db.execute(
                    "SELECT public_identifier, id FROM leads WHERE public_identifier = ?",
                    identifiers,
                ).fetchall()
            else:
                rows = db.execute(
                    "SELECT public_identifier, id FROM leads"
                    " WHERE public_identifier IN (SELECT value FROM json_each(?))",
                    (orjson.dumps(identifiers).decode(),),
                ).fetchall()
        finally:
            db.execute("COMMIT")
        return dict(rows)

    async def block(self, key: str, rows: list[tuple[str, str, str | None, int]]) -> int:
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            _require_key(db.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone())
            before = db.total_changes
            db.executemany(
                "INSERT INTO leads (public_identifier, id, reason, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return db.total_changes - before

    async def import_rows(self, key: str, rows: list[tuple[str, str, str | None, int]]) -> int:
        return await self.block(key, rows)


class PostgresEngine:
    def __init__(self, url: str) -> None:
        self.pool = AsyncConnectionPool(url, min_size=10, max_size=10, open=False)

    async def blocked(self, key: str, identifiers: list[str]) -> dict[str, str]:
        async with self.pool.connection() as db:
            found = await db.execute("SELECT 1 FROM keys WHERE key = %s", (key,))
            _require_key(await found.fetchone())
            # Sorted and probed through the index: `= ANY(%s)` of 10,000 values was planned
            # as a parallel scan of the whole table.
            rows = await db.execute(
                "SELECT public_identifier, id FROM leads"
                " WHERE public_identifier = ANY(ARRAY(SELECT unnest(%s::text[])))",
                (sorted(identifiers),),
            )
            return dict(await rows.fetchall())

    async def block(self, key: str, rows: list[tuple[str, str, str | None, int]]) -> int:
        async with self.pool.connection() as db:
            found = await db.execute("SELECT 1 FROM keys WHERE key = %s", (key,))
            _require_key(await found.fetchone())
            # One statement for any number of rows: the columns as arrays.
            columns = [list(column) for column in zip(*rows, strict=True)]
            inserted = await db.execute(
                "INSERT INTO leads (public_identifier, id, reason, created_at)"
                " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[])"
                " ON CONFLICT DO NOTHING",
                columns,
            )
            return inserted.rowcount

    async def import_rows(self, key: str, rows: list[tuple[str, str, str | None, int]]) -> int:
        async with self.pool.connection() as db:
            found = await db.execute("SELECT 1 FROM keys WHERE key = %s", (key,))
            _require_key(await found.fetchone())
            await db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS staging (public_identifier text, id text,"
                " reason text, created_at bigint) ON COMMIT DELETE ROWS"
            )
            async with db.cursor() as cursor:
                copying = "COPY staging (public_identifier, id, reason, created_at) FROM STDIN"
                async with cursor.copy(copying) as copy:
                    for row in rows:
                        await copy.write_row(row)
                await cursor.execute(
                    "INSERT INTO leads (public_identifier, id, reason, created_at)"
                    " SELECT public_identifier, id, reason, created_at FROM staging"
                    " ON CONFLICT DO NOTHING"
                )
                return cursor.rowcount


def _require_key(row: Any) -> None:
    if row is None:
        raise HTTPException(401, "unknown key")


ENGINE = (
    PostgresEngine(DATABASE)
    if DATABASE.startswith("postgresql://")
    else SqliteEngine(DATABASE)
    if DATABASE
    else None
)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    if isinstance(ENGINE, PostgresEngine):
        await ENGINE.pool.open(wait=True)
        yield
        await ENGINE.pool.close()
    else:
        yield


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


@app.post("/echo")
async def echo(body: Leads) -> dict[str, int]:
    return {"leads": len(body.leads)}


def _engine() -> SqliteEngine | PostgresEngine:
    if ENGINE is None:
        raise HTTPException(404, "no database")
    return ENGINE


def _results(identifiers: list[str], blocked: dict[str, str]) -> Response:
    results = [
        {"publicIdentifier": ident, "blocked": ident in blocked, "id": blocked.get(ident)}
        for ident in identifiers
    ]
    return Response(
        orjson.dumps({"success": True, "results": results}), media_type="application/json"
    )


@app.get("/check")
async def check_one(request: Request, publicIdentifier: str) -> Response:  # noqa: N803
    key = request.headers.get("x-api-key", "")
    return _results([publicIdentifier], await _engine().blocked(key, [publicIdentifier]))


@app.post("/check")
async def check_many(request: Request, body: Identifiers) -> Response:
    key = request.headers.get("x-api-key", "")
    identifiers = body.public_identifiers
    return _results(identifiers, await _engine().blocked(key, identifiers))


@app.post("/block")
async def block(request: Request, body: Leads) -> dict[str, int]:
    key = request.headers.get("x-api-key", "")
    now_ms = time.time_ns() // 1_000_000
    rows = [
        (lead.public_identifier, secrets.token_hex(16), lead.reason, now_ms) for lead in body.leads
    ]
    return {"blocked": await _engine().block(key, rows)}


@app.post("/import")
async def import_csv(request: Request) -> dict[str, int]:
    key = request.headers.get("x-api-key", "")
    now_ms = time.time_ns() // 1_000_000
    reader = csv.reader(io.StringIO((await request.body()).decode("utf-8-sig"), newline=""))
    next(reader)  # the header row
    rows = [(ident, secrets.token_hex(16), reason or None, now_ms) for ident, reason in reader]
    return {"blocked": await _engine().import_rows(key, rows)}
