"""`/api/v1/blocked-leads`: the workspace blocklist, WaLead-compatible.

Handlers only translate: wire models in, one service call in one transaction, wire models out.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Query, Request
from pydantic import BeforeValidator, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.responses import Response, StreamingResponse

from leadblock.api.dry_run import DryRun, dry_answer
from leadblock.api.idempotency import Answer
from leadblock.api.paging import PAGED, Cursor, Limit, Offset, paged
from leadblock.api.schemas import (
    CSV_FORMAT,
    CSV_RULES,
    IDENTIFIER_FORMAT,
    IDENTIFIER_RULES,
    NO_NUL,
    BlockedLeadOut,
    BlockedLeadUpdate,
    BlockRequest,
    BlockResponse,
    CheckRequest,
    CheckResponse,
    EventOut,
    ImportResponse,
    RecordIds,
    SuccessResponse,
    UnblockRequest,
    UnblockResponse,
    blocked_lead_json,
    check_result_json,
    patched,
)
from leadblock.api.unit import (
    LARGE_WORK,
    Publish,
    Reply,
    RequestUnit,
    Unit,
    request_unit,
    spool_body,
)
from leadblock.domain.identifiers import MAX_INPUT_LENGTH as IDENTIFIER_INPUT_LENGTH
from leadblock.domain.records import Caller, EventType
from leadblock.domain.trail import event_json
from leadblock.services import audit, blocklist, transfer
from leadblock.storage.db import Transaction
from leadblock.web.direct import DirectHandler, plain_query, read_body
from leadblock.web.json_body import JsonBodyRoute
from leadblock.web.responses import OrjsonResponse
from leadblock.web.streaming import in_foreground


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


router = APIRouter(prefix="/blocked-leads", tags=["Workspace blocklist"], route_class=JsonBodyRoute)


class LeadIdConvertor(StringConvertor):
    """`{lead_id:lead_id}`: any path segment but the names of this router's own routes.

    OpenAPI matches a concrete path (`/blocked-leads/events`) before a templated one
    (`/blocked-leads/{lead_id}`), so `DELETE /blocked-leads/events` is a 405 (events cannot be
    deleted), not the unblocking of a lead whose id would be "events". Any other segment is an
    opaque id: not a record of the workspace, it is a 404.
    """

    regex = "(?!(?:check|export|import|events)$)[^/]+"


register_url_convertor("lead_id", LeadIdConvertor())


@router.post("", response_model=BlockResponse)
async def block_leads(body: BlockRequest, unit: Unit, dry_run: DryRun = False) -> Response:
    """Block leads for the whole workspace (WaLead-compatible).

    All or nothing: if any entry is invalid, the answer is 400 listing every bad entry and
    nothing is written. An already-blocked lead keeps its original record; duplicates inside
    one request count once. `leads` holds one record per distinct lead, in request order.
    The blocks are durable once the answer is sent.
    """
    return await _block(body, unit, dry_run)


async def block_leads_direct(request: Request) -> Response | None:
    """`POST /blocked-leads` in its plain form, served ahead of FastAPI (web/direct.py): no query
    parameter, a body that is valid JSON and a valid `BlockRequest`. Anything else (a refusal
    above all) is left to the route, which reads the same body again."""
    if request.scope["query_string"]:
        return None
    body = await read_body(request)
    try:
        valid = BlockRequest.model_validate(orjson.loads(body)) if body else None
    except (orjson.JSONDecodeError, ValidationError):
        return None
    if valid is None:
        return None
    return await _block(valid, await request_unit(request), dry_run=False)


async def _block(body: BlockRequest, unit: RequestUnit, dry_run: bool) -> Response:
    raw = [(lead.public_identifier, lead.reason, lead.expires_at) for lead in body.leads]

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = blocklist.block_leads(tx, caller, raw)
        leads = [blocked_lead_json(lead, caller.workspace_id) for lead in outcome.leads]
        return dry_answer(
            {
                "success": True,
                "message": f"{outcome.blocked:,} lead(s) blocked.",
                "blocked": outcome.blocked,
                "alreadyBlocked": outcome.already_blocked,
                "extended": outcome.extended,
                "duplicates": outcome.duplicates,
                "leads": [
                    {**lead, "id": None} if dry_run and lead["id"] in outcome.new else lead
                    for lead in leads
                ],
            },
            dry_run,
        )

    return await unit.write(work, items=len(raw), dry_run=dry_run)


@router.get("", response_model=list[BlockedLeadOut], responses=PAGED)
async def list_blocked_leads(
    request: Request,
    unit: Unit,
    sort: Annotated[
        Literal["ASC", "DESC"],
        Query(description="By createdAt; `asc` and `desc` are accepted too"),
        BeforeValidator(_upper),
    ] = "DESC",
    offset: Offset = 0,
    limit: Limit = 100,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Case-insensitive substring of identifier or reason (no NUL character)",
        ),
    ] = None,
    cursor: Cursor = None,
) -> Response:
    """List the workspace's blocked leads, newest first by default.

    Headers: `X-Total-Count` (rows matching `search`), and when more rows exist `X-Next-Cursor`
    and `Link: <…>; rel="next"`. Pass the cursor back for the next page.
    """

    def work(tx: Transaction, caller: Caller) -> Reply:
        page = blocklist.list_blocked_leads(
            tx, caller, sort=sort, offset=offset, limit=limit, search=search, cursor=cursor
        )
        return paged(
            [blocked_lead_json(lead, caller.workspace_id) for lead in page.items],
            page.total,
            page.next_cursor,
            request,
        )

    # A page read by index (cursor or first page) is as small as its rows; a search or an
    # offset scans, however short the page, and must not hold the event loop.
    by_index = search is None and offset == 0
    return await unit.read(work, items=limit if by_index else LARGE_WORK)


@router.post("/check", response_model=CheckResponse)
async def check_leads(body: CheckRequest, unit: Unit) -> Response:
    """Tell, for up to 10,000 identifiers or URLs, whether each is blocked right now.

    An item may be an object that adds the lead's company (`companyLinkedIn`, `companyDomain`,
    `email`): company blocks then apply too. Results come in input order; the scope of each
    is the strongest block that applies (workspace, then company, then campaign). An invalid
    input gets `"blocked": null` and an `error` instead of failing the request. An unknown
    `campaignId` is a 404.
    """

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        results = blocklist.check(tx, caller, body.public_identifiers, body.campaign_id)
        return {"success": True, "results": [check_result_json(r) for r in results]}

    return await unit.read(work, items=len(body.public_identifiers))


@router.get("/check", response_model=CheckResponse)
async def check_lead(
    unit: Unit,
    # Any text (up to the input limit): an invalid one gets a result with an `error`.
    public_identifier: Annotated[
        str,
        Query(
            alias="publicIdentifier",
            min_length=1,
            max_length=IDENTIFIER_INPUT_LENGTH,
            description="Public identifier or profile URL",
        ),
    ],
    # An opaque record id: whatever it is, one of another workspace or none at all is a 404.
    campaign_id: Annotated[
        str | None, Query(alias="campaignId", description="Also check this campaign's blocks")
    ] = None,
) -> Response:
    """Check one identifier or URL; the same envelope as `POST /check`, with one result.
    Company blocks need the lead's company: send it as an object to `POST /check`."""
    one = blocklist.OneLeadCheck(public_identifier, campaign_id)
    return await unit.read(partial(_check_one, one), find_key_row=one.find_key_row)


async def check_lead_direct(request: Request) -> Response | None:
    """`GET /check` in its plain form, served ahead of FastAPI (web/direct.py): each parameter
    once, none other, the identifier within its length. Anything else is left to the route."""
    query = plain_query(request.scope["query_string"], _CHECK_PARAMETERS)
    if query is None or not 1 <= len(query.get("publicIdentifier", "")) <= IDENTIFIER_INPUT_LENGTH:
        return None
    unit = await request_unit(request)
    one = blocklist.OneLeadCheck(query["publicIdentifier"], query.get("campaignId"))
    return await unit.read(partial(_check_one, one), find_key_row=one.find_key_row)


_CHECK_PARAMETERS = frozenset({"publicIdentifier", "campaignId"})


def _check_one(one: blocklist.OneLeadCheck, tx: Transaction, caller: Caller) -> dict[str, Any]:
    return {"success": True, "results": [check_result_json(r) for r in one.results(tx, caller)]}


DIRECT: dict[Callable[..., Any], DirectHandler] = {
    check_lead: check_lead_direct,
    block_leads: block_leads_direct,
}


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV of the blocklist"}},
)
async def export_blocked_leads(unit: Unit) -> Response:
    """Download the whole blocklist as CSV (`publicIdentifier,reason,createdAt,id,expiresAt`),
    oldest first; blocks that have expired are left out.

    Streamed in constant memory. Cells a spreadsheet would run as a formula get a leading `'`.
    """
    caller = await unit.caller()
    return unit.respond(
        StreamingResponse(
            in_foreground(unit.foreground, transfer.export_csv(unit.database, caller)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="blocked-leads.csv"'},
        )
    )


@router.post(
    "/import",
    response_model=ImportResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "format": CSV_FORMAT, "description": CSV_RULES}
                }
            },
        }
    },
)
async def import_blocked_leads(request: Request, unit: Unit, dry_run: DryRun = False) -> Response:
    """Block every row of a CSV file (header row; `publicIdentifier`, optional `reason` and
    `expiresAt`).

    Up to 1,000,000 rows; LinkedIn URLs accepted; a UTF-8 BOM is ignored; the `'` that export
    adds is removed. All or nothing, like `POST /blocked-leads`; the answer carries counts only.
    """
    caller = await unit.caller()
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        body_sha256 = await spool_body(request, spool)
        spool.seek(0)
        if dry_run:
            outcome = await run_in_threadpool(
                partial(transfer.import_csv, dry_run=True), unit.database, caller, spool
            )
            return unit.respond(OrjsonResponse(_import_answer(outcome, dry_run=True)))

        def run(publish: Publish) -> Answer:
            with (
                transfer.staged_import(unit.database, caller, spool) as staged,
                unit.database.transaction(write=True) as tx,
            ):
                return publish(tx, lambda: _import_answer(staged.publish(tx)))

        return await unit.write_streamed(caller, body_sha256, run)


def _import_answer(outcome: transfer.ImportOutcome, *, dry_run: bool = False) -> dict[str, Any]:
    return dry_answer(
        {
            "success": True,
            "message": f"{outcome.blocked:,} lead(s) blocked from {outcome.rows:,} row(s).",
            "rows": outcome.rows,
            "blocked": outcome.blocked,
            "alreadyBlocked": outcome.already_blocked,
            "extended": outcome.extended,
            "duplicates": outcome.duplicates,
        },
        dry_run,
    )


@router.get("/events", response_model=list[EventOut], responses=PAGED)
async def list_events(
    request: Request,
    unit: Unit,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
    event_type: Annotated[
        EventType | None,
        Query(
            alias="type",
            description="blocked, unblocked, reason_changed, expiry_changed or expired",
        ),
    ] = None,
    public_identifier: Annotated[
        str | None,
        Query(
            alias="publicIdentifier",
            min_length=1,
            max_length=IDENTIFIER_INPUT_LENGTH,
            description=IDENTIFIER_RULES,
            json_schema_extra={"format": IDENTIFIER_FORMAT},
        ),
    ] = None,
) -> Response:
    """The audit trail, newest first: every block, unblock, reason or expiry change and expiry,
    of leads (workspace and campaign) and companies, with the id of the key that made it.
    Events stay after the block itself is removed."""

    def work(tx: Transaction, caller: Caller) -> Reply:
        page = audit.list_events(
            tx,
            caller,
            limit=limit,
            offset=offset,
            cursor=cursor,
            event_type=event_type,
            public_identifier=public_identifier,
        )
        return paged(
            [event_json(event) for event in page.items], page.total, page.next_cursor, request
        )

    return await unit.read(work, items=LARGE_WORK)


@router.delete("", response_model=UnblockResponse)
async def unblock_leads(
    unit: Unit,
    body: Annotated[
        RecordIds | UnblockRequest,
        Body(description="An array of record ids (WaLead), or {ids, publicIdentifiers}"),
    ],
    dry_run: DryRun = False,
) -> Response:
    """Unblock leads by record id and/or public identifier.

    Ids that are not records of this workspace are listed in `notFound`; an invalid identifier
    is a 400 and nothing is removed.
    """
    ids, identifiers = (body, []) if isinstance(body, list) else (body.ids, body.public_identifiers)

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = blocklist.unblock(tx, caller, ids, identifiers)
        return dry_answer(
            {
                "success": True,
                "message": f"{outcome.unblocked:,} lead(s) unblocked.",
                "unblocked": outcome.unblocked,
                "notFound": outcome.not_found,
            },
            dry_run,
        )

    return await unit.write(work, items=len(ids) + len(identifiers), dry_run=dry_run)


@router.get("/{lead_id:lead_id}", response_model=BlockedLeadOut)
async def get_blocked_lead(lead_id: str, unit: Unit) -> Response:
    """One blocked lead by record id."""
    return await unit.read(
        lambda tx, caller: blocked_lead_json(
            blocklist.get_blocked_lead(tx, caller, lead_id), caller.workspace_id
        )
    )


@router.patch("/{lead_id:lead_id}", response_model=BlockedLeadOut)
async def update_blocked_lead(lead_id: str, body: BlockedLeadUpdate, unit: Unit) -> Response:
    """Change the reason and/or the expiry of a block, exactly as given: an explicit
    `expiresAt` may shorten it, null makes it permanent. Fields left out stay as they are."""
    changes = patched(body)
    return await unit.write(
        lambda tx, caller: blocked_lead_json(
            blocklist.update_blocked_lead(tx, caller, lead_id, **changes), caller.workspace_id
        )
    )


@router.delete("/{lead_id:lead_id}", response_model=SuccessResponse)
async def unblock_lead(lead_id: str, unit: Unit) -> Response:
    """Unblock one lead by record id."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        blocklist.unblock_one(tx, caller, lead_id)
        return {"success": True, "message": "Lead unblocked."}

    return await unit.write(work)
