"""Yardsticks for `make bench`, served only with `LEADBLOCK_REFERENCE_ROUTES=true`.

The benchmark compares the real single-lead paths with what the same server process does when
there is no database and no key to check: a hello-world GET, and a POST that parses and
validates the same body model as `POST /blocked-leads`. Same app, middleware and settings, so
the ratio shows what leadblock's own work costs.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from leadblock.api.schemas import BlockRequest
from leadblock.web.responses import OrjsonResponse

router = APIRouter(prefix="/reference", include_in_schema=False)


@router.get("/hello")
async def hello() -> Response:
    return OrjsonResponse({"success": True, "message": "hello"})


@router.post("/echo")
async def echo(body: BlockRequest) -> Response:
    return OrjsonResponse({"success": True, "leads": len(body.leads)})
