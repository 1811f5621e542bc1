"""Request-scoped dependencies: the database, and the caller its API key stands for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from leadblock.domain.records import Caller
from leadblock.services.keys import authenticate
from leadblock.storage.db import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_caller(
    database: DatabaseDep,
    x_api_key: Annotated[
        str | None, Header(description="API key of the workspace", include_in_schema=True)
    ] = None,
) -> Caller:
    return await run_in_threadpool(authenticate, database, x_api_key)


CallerDep = Annotated[Caller, Depends(get_caller)]
