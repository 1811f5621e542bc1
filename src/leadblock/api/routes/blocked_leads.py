"""`/api/v1/blocked-leads`: the workspace blocklist, WaLead-compatible.

Handlers only translate: wire models in, one service call in one transaction, wire models out.
"""

from __future__ import annotations

import tempfile
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from leadblock.api.dependencies import ApiKeyDep, DatabaseDep, authenticate
from leadblock.api.inline import LARGE_WORK, run_database_work
from leadblock.api.paging import Cursor, Limit, Offset, paged_response
from leadblock.api.responses import OrjsonResponse
from leadblock.api.schemas import (
    BlockedLeadOut,
    BlockRequest,
    BlockResponse,
    CheckRequest,
    CheckResponse,
    EventOut,
    ImportResponse,
    ReasonUpdate,
    SuccessResponse,
    UnblockRequest,
    UnblockResponse,
    blocked_lead_json,
    check_result_json,
    event_json,
)
from leadblock.services import audit, blocklist, transfer

router = APIRouter(prefix="/blocked-leads", tags=["Workspace blocklist"])


@router.post("", response_model=BlockResponse)
async def block_leads(body: BlockRequest, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """Block leads for the whole workspace (WaLead-compatible).

    All or nothing: if any entry is invalid, the answer is 400 listing every bad entry and
    nothing is written. An already-blocked lead keeps its original record; duplicates inside
    one request count once. `leads` holds one record per distinct lead, in request order.
    The blocks are durable once the answer is sent.
    """
    raw = [(lead.public_identifier, lead.reason) for lead in body.leads]

    def work() -> blocklist.BlockOutcome:
        caller = authenticate(database, api_key)
        with database.transaction(write=True) as tx:
            return blocklist.block_leads(tx, caller, raw)

    outcome = await run_database_work(database, work, len(raw))
    return OrjsonResponse(
        {
            "success": True,
            "message": f"{outcome.blocked} lead(s) blocked.",
            "blocked": outcome.blocked,
            "alreadyBlocked": outcome.already_blocked,
            "duplicates": outcome.duplicates,
            "leads": [blocked_lead_json(lead) for lead in outcome.leads],
        }
    )


@router.get("", response_model=list[BlockedLeadOut])
async def list_blocked_leads(
    request: Request,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    sort: Annotated[Literal["ASC", "DESC", "asc", "desc"], Query()] = "DESC",
    offset: Offset = 0,
    limit: Limit = 100,
    search: Annotated[
        str | None,
        Query(max_length=200, description="Case-insensitive substring of identifier or reason"),
    ] = None,
    cursor: Cursor = None,
) -> Response:
    """List the workspace's blocked leads, newest first by default.

    Headers: `X-Total-Count` (rows matching `search`), and when more rows exist `X-Next-Cursor`
    and `Link: <…>; rel="next"`. Pass the cursor back for the next page.
    """

    def work() -> blocklist.Page:
        caller = authenticate(database, api_key)
        with database.transaction() as tx:
            return blocklist.list_blocked_leads(
                tx,
                caller,
                sort="ASC" if sort.upper() == "ASC" else "DESC",
                offset=offset,
                limit=limit,
                search=search,
                cursor=cursor,
            )

    # A page read by index (cursor or first page) is as small as its rows; a search or an
    # offset scans, however short the page, and must not hold the event loop.
    by_index = search is None and offset == 0
    page = await run_database_work(database, work, limit if by_index else LARGE_WORK)
    return paged_response(
        [blocked_lead_json(lead) for lead in page.items], page.total, page.next_cursor, request
    )


@router.post("/check", response_model=CheckResponse)
async def check_leads(body: CheckRequest, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """Tell, for up to 10,000 identifiers or URLs, whether each is blocked right now.

    Results come in input order. An invalid input gets `"blocked": null` and an `error` instead
    of failing the request. An unknown `campaignId` is a 404.
    """

    def work() -> list[blocklist.CheckResult]:
        caller = authenticate(database, api_key)
        with database.transaction() as tx:
            return blocklist.check(tx, caller, body.public_identifiers, body.campaign_id)

    results = await run_database_work(database, work, len(body.public_identifiers))
    return OrjsonResponse({"success": True, "results": [check_result_json(r) for r in results]})


@router.get("/check", response_model=CheckResponse)
async def check_lead(
    api_key: ApiKeyDep,
    database: DatabaseDep,
    public_identifier: Annotated[str, Query(alias="publicIdentifier", max_length=2000)],
    campaign_id: Annotated[str | None, Query(alias="campaignId", max_length=200)] = None,
) -> Response:
    """Check one identifier or URL; the same envelope as `POST /check`, with one result."""

    def work() -> list[blocklist.CheckResult]:
        caller = authenticate(database, api_key)
        with database.transaction() as tx:
            return blocklist.check(tx, caller, [public_identifier], campaign_id)

    results = await run_database_work(database, work)
    return OrjsonResponse({"success": True, "results": [check_result_json(r) for r in results]})


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV of the blocklist"}},
)
def export_blocked_leads(api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """Download the whole blocklist as CSV (`publicIdentifier,reason,createdAt,id`), oldest first.

    Streamed in constant memory. Cells a spreadsheet would run as a formula get a leading `'`.
    """
    caller = authenticate(database, api_key)
    return StreamingResponse(
        transfer.export_csv(database, caller),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="blocked-leads.csv"'},
    )


@router.post(
    "/import",
    response_model=ImportResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_blocked_leads(
    request: Request, api_key: ApiKeyDep, database: DatabaseDep
) -> Response:
    """Block every row of a CSV file (header row; `publicIdentifier`, optional `reason`).

    Up to 1,000,000 rows; LinkedIn URLs accepted; a UTF-8 BOM is ignored; the `'` that export
    adds is removed. All or nothing, like `POST /blocked-leads`; the answer carries counts only.
    """
    caller = await run_in_threadpool(authenticate, database, api_key)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        outcome = await run_in_threadpool(transfer.import_csv, database, caller, spool)
    return OrjsonResponse(
        {
            "success": True,
            "message": f"{outcome.blocked} lead(s) blocked from {outcome.rows} row(s).",
            "rows": outcome.rows,
            "blocked": outcome.blocked,
            "alreadyBlocked": outcome.already_blocked,
            "duplicates": outcome.duplicates,
        }
    )


@router.get("/events", response_model=list[EventOut])
def list_events(
    request: Request,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
    event_type: Annotated[
        str | None, Query(alias="type", description="blocked, unblocked or reason_changed")
    ] = None,
    public_identifier: Annotated[
        str | None, Query(alias="publicIdentifier", max_length=2000)
    ] = None,
) -> Response:
    """The audit trail, newest first: every block, unblock and reason change, with the id of the
    key that made it. Events stay after the block itself is removed."""
    caller = authenticate(database, api_key)
    with database.transaction() as tx:
        page = audit.list_events(
            tx,
            caller,
            limit=limit,
            offset=offset,
            cursor=cursor,
            event_type=event_type,
            public_identifier=public_identifier,
        )
    return paged_response(
        [event_json(event) for event in page.items], page.total, page.next_cursor, request
    )


@router.delete("", response_model=UnblockResponse)
def unblock_leads(
    api_key: ApiKeyDep,
    database: DatabaseDep,
    body: Annotated[
        list[str] | UnblockRequest,
        Body(description="An array of record ids (WaLead), or {ids, publicIdentifiers}"),
    ],
) -> Response:
    """Unblock leads by record id and/or public identifier.

    Ids that are not records of this workspace are listed in `notFound`; an invalid identifier
    is a 400 and nothing is removed.
    """
    caller = authenticate(database, api_key)
    ids, identifiers = (body, []) if isinstance(body, list) else (body.ids, body.public_identifiers)
    with database.transaction(write=True) as tx:
        outcome = blocklist.unblock(tx, caller, ids, identifiers)
    return OrjsonResponse(
        {
            "success": True,
            "message": f"{outcome.unblocked} lead(s) unblocked.",
            "unblocked": outcome.unblocked,
            "notFound": outcome.not_found,
        }
    )


@router.get("/{lead_id}", response_model=BlockedLeadOut)
def get_blocked_lead(lead_id: str, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """One blocked lead by record id."""
    caller = authenticate(database, api_key)
    with database.transaction() as tx:
        lead = blocklist.get_blocked_lead(tx, caller, lead_id)
    return OrjsonResponse(blocked_lead_json(lead))


@router.patch("/{lead_id}", response_model=BlockedLeadOut)
def update_reason(
    lead_id: str, body: ReasonUpdate, api_key: ApiKeyDep, database: DatabaseDep
) -> Response:
    """Change the reason of a block (null or empty clears it)."""
    caller = authenticate(database, api_key)
    with database.transaction(write=True) as tx:
        lead = blocklist.update_reason(tx, caller, lead_id, body.reason)
    return OrjsonResponse(blocked_lead_json(lead))


@router.delete("/{lead_id}", response_model=SuccessResponse)
def unblock_lead(lead_id: str, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """Unblock one lead by record id."""
    caller = authenticate(database, api_key)
    with database.transaction(write=True) as tx:
        blocklist.unblock_one(tx, caller, lead_id)
    return OrjsonResponse({"success": True, "message": "Lead unblocked."})
