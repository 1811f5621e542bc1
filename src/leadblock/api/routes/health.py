"""`/healthz` and `/readyz`, for load balancers and orchestrators: no key, no rate limit.

`/healthz` says the process serves HTTP, without touching the database (a liveness probe must
not restart a server because its database is down). `/readyz` says whether this process can
do its work now: the database answers, and its schema is the one this code was built for
(during a rolling upgrade a server of the older version, whose schema was migrated past it,
is not ready).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadblock.storage.group_commit import read_small
from leadblock.storage.migrate import HEAD_REVISION, schema_revision
from leadblock.web.responses import OrjsonResponse

router = APIRouter(include_in_schema=False)
logger = logging.getLogger("leadblock")


@router.get("/healthz")
async def healthz() -> Response:
    return OrjsonResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """503 while the database does not answer or its schema is another revision's; the answer
    says which, and no more (the probe needs no key: details go to the server's log)."""
    try:
        revision = await read_small(request.app.state.database, schema_revision)
    except Exception as error:  # any failure to read it: not ready
        logger.warning("not ready: the database did not answer: %s", error)
        return _not_ready("the database does not answer")
    if revision != HEAD_REVISION:
        logger.warning(
            "not ready: the schema is at %s, this server needs %s", revision, HEAD_REVISION
        )
        return _not_ready("the database schema is not this server's")
    return OrjsonResponse({"status": "ok"})


def _not_ready(reason: str) -> Response:
    return OrjsonResponse({"status": "unavailable", "reason": reason}, status_code=503)
