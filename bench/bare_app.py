"""The bare reference of `make bench`: FastAPI with no middleware, nothing of leadblock's.

Run by the bench in its own process:
`python -m uvicorn bench.bare_app:app --host 127.0.0.1 --port N --log-level warning
--no-access-log`. `POST /echo` validates the body shape of leadblock's `POST
/api/v1/blocked-leads` with pydantic and touches no database, so the single-lead paths can be
compared with what a plain FastAPI app costs on the same machine.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field

MAX_LEADS = 10_000
MAX_IDENTIFIER_LENGTH = 2048


class Lead(BaseModel):
    public_identifier: Annotated[
        str, Field(alias="publicIdentifier", min_length=1, max_length=MAX_IDENTIFIER_LENGTH)
    ]
    reason: str | None = None


class Leads(BaseModel):
    leads: Annotated[list[Lead], Field(min_length=1, max_length=MAX_LEADS)]


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


@app.post("/echo")
async def echo(body: Leads) -> dict[str, int]:
    return {"leads": len(body.leads)}
