"""Request-scoped dependencies: the database, and the API key of the request.

The key's shape is checked here, on the event loop, so a missing or malformed key is a 401
before the body is even validated. The key itself is verified against the database by the
handler (`authenticate`), in the same worker thread as the handler's own transaction: a hop to
the thread pool costs about as much as the whole of a single-lead request (docs/performance.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from leadblock.api.access_log import note_caller
from leadblock.domain.records import Caller
from leadblock.services import keys
from leadblock.storage.db import Database


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_api_key(
    x_api_key: Annotated[
        str | None, Header(description="API key of the workspace", include_in_schema=True)
    ] = None,
) -> str:
    return keys.require_key_shape(x_api_key)


ApiKeyDep = Annotated[str, Depends(get_api_key)]


def authenticate(database: Database, api_key: str) -> Caller:
    """The verified caller of the request, also noted in its access log line."""
    caller = keys.authenticate(database, api_key)
    note_caller(caller)
    return caller
