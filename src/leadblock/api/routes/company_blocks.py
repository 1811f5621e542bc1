"""`/api/v1/company-blocks`: companies (LinkedIn company pages or domains) blocked for the whole
workspace."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.responses import Response, StreamingResponse

from leadblock.api.dry_run import DryRun, dry_answer
from leadblock.api.paging import PAGED, Cursor, Limit, Offset, paged
from leadblock.api.schemas import (
    COMPANY_CSV_FORMAT,
    COMPANY_CSV_RULES,
    NO_NUL,
    CompanyBlockOut,
    CompanyBlockRequest,
    CompanyBlockResponse,
    CompanyBlockUpdate,
    CompanyImportResponse,
    CompanyUnblockRequest,
    CompanyUnblockResponse,
    SuccessResponse,
    company_block_json,
    patched,
)
from leadblock.api.unit import LARGE_WORK, Reply, Unit
from leadblock.domain.records import Caller
from leadblock.services import company_blocks, transfer
from leadblock.services.company_blocks import RawCompany
from leadblock.storage.db import Transaction
from leadblock.web.json_body import JsonBodyRoute
from leadblock.web.streaming import in_foreground

router = APIRouter(prefix="/company-blocks", tags=["Company blocks"], route_class=JsonBodyRoute)


class CompanyBlockIdConvertor(StringConvertor):
    """`{block_id:company_block_id}`: any segment but this router's own routes (see
    `LeadIdConvertor`)."""

    regex = "(?!(?:export|import)$)[^/]+"


register_url_convertor("company_block_id", CompanyBlockIdConvertor())


@router.post("", response_model=CompanyBlockResponse)
async def block_companies(
    body: CompanyBlockRequest, unit: Unit, dry_run: DryRun = False
) -> Response:
    """Block companies for every campaign of the workspace, by LinkedIn company page or by
    domain (a domain block also stops its subdomains).

    All or nothing: any invalid entry is a 400 listing each, and nothing is written. An already
    blocked company keeps its record; its expiry only ever moves later (`extended`). A lead is
    stopped when its `companyLinkedIn`, its `companyDomain` or its e-mail's domain matches.
    """
    raw = [
        RawCompany(c.linkedin_company, c.domain, c.name, c.reason, c.expires_at)
        for c in body.companies
    ]

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = company_blocks.block_companies(tx, caller, raw)
        return dry_answer(
            {
                "success": True,
                "message": f"{outcome.blocked:,} compan{'y' if outcome.blocked == 1 else 'ies'}"
                " blocked.",
                "blocked": outcome.blocked,
                "alreadyBlocked": outcome.already_blocked,
                "extended": outcome.extended,
                "duplicates": outcome.duplicates,
                "companies": [
                    {**company_block_json(block), "id": None}
                    if dry_run and block.id in outcome.new
                    else company_block_json(block)
                    for block in outcome.companies
                ],
            },
            dry_run,
        )

    return await unit.write(work, items=len(raw), dry_run=dry_run)


@router.get("", response_model=list[CompanyBlockOut], responses=PAGED)
async def list_company_blocks(
    request: Request,
    unit: Unit,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Case-insensitive substring of value, name or reason (no NUL character)",
        ),
    ] = None,
) -> Response:
    """The workspace's company blocks, newest first, paged like `GET /blocked-leads`."""

    def work(tx: Transaction, caller: Caller) -> Reply:
        page = company_blocks.list_company_blocks(
            tx, caller, limit=limit, offset=offset, cursor=cursor, search=search
        )
        return paged(
            [company_block_json(block) for block in page.items],
            page.total,
            page.next_cursor,
            request,
        )

    return await unit.read(work, items=LARGE_WORK)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV of the company blocks"}},
)
async def export_company_blocks(unit: Unit) -> Response:
    """Download every company block as CSV (`kind,value,name,reason,expiresAt,createdAt,id`),
    oldest first, streamed; blocks that have expired are left out. Import reads it back."""
    caller = await unit.caller()
    return unit.respond(
        StreamingResponse(
            in_foreground(unit.foreground, transfer.export_companies_csv(unit.database, caller)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="company-blocks.csv"'},
        )
    )


@router.post(
    "/import",
    response_model=CompanyImportResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "format": COMPANY_CSV_FORMAT,
                        "description": COMPANY_CSV_RULES,
                    }
                }
            },
        }
    },
)
async def import_company_blocks(request: Request, unit: Unit, dry_run: DryRun = False) -> Response:
    """Block every company of a CSV file (`kind,value` and optional `name,reason,expiresAt`),
    up to 100,000 rows: all or nothing, like `POST /company-blocks`; the answer carries counts
    only."""
    await unit.caller()  # who asks, before any of the upload is read
    rows = await run_in_threadpool(transfer.read_companies_csv, await request.body())

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = transfer.import_companies(tx, caller, rows)
        return dry_answer(
            {
                "success": True,
                "message": f"{outcome.blocked:,} compan{'y' if outcome.blocked == 1 else 'ies'}"
                f" blocked from {len(rows):,} row(s).",
                "rows": len(rows),
                "blocked": outcome.blocked,
                "alreadyBlocked": outcome.already_blocked,
                "extended": outcome.extended,
                "duplicates": outcome.duplicates,
            },
            dry_run,
        )

    return await unit.write(work, items=LARGE_WORK, dry_run=dry_run)


@router.delete("", response_model=CompanyUnblockResponse)
async def unblock_companies(
    body: CompanyUnblockRequest, unit: Unit, dry_run: DryRun = False
) -> Response:
    """Unblock companies by record id and/or by LinkedIn company or domain. Unknown ones are
    listed in `notFound`; an invalid company is a 400 and nothing is removed. A domain is
    unblocked only by its own block: removing `acme.com` leaves a block of `eu.acme.com`."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = company_blocks.unblock_companies(
            tx, caller, body.ids, body.linkedin_companies, body.domains
        )
        return dry_answer(
            {
                "success": True,
                "message": f"{outcome.unblocked:,} compan"
                f"{'y' if outcome.unblocked == 1 else 'ies'} unblocked.",
                "unblocked": outcome.unblocked,
                "notFound": outcome.not_found,
            },
            dry_run,
        )

    items = len(body.ids) + len(body.linkedin_companies) + len(body.domains)
    return await unit.write(work, items=items, dry_run=dry_run)


@router.get("/{block_id:company_block_id}", response_model=CompanyBlockOut)
async def get_company_block(block_id: str, unit: Unit) -> Response:
    """One company block by record id."""
    return await unit.read(
        lambda tx, caller: company_block_json(
            company_blocks.get_company_block(tx, caller, block_id)
        )
    )


@router.patch("/{block_id:company_block_id}", response_model=CompanyBlockOut)
async def update_company_block(block_id: str, body: CompanyBlockUpdate, unit: Unit) -> Response:
    """Change the name, reason and/or expiry of a company block, exactly as given: an explicit
    `expiresAt` may shorten it, null makes it permanent. Fields left out stay as they are."""
    changes = patched(body)
    return await unit.write(
        lambda tx, caller: company_block_json(
            company_blocks.update_company_block(tx, caller, block_id, **changes)
        )
    )


@router.delete("/{block_id:company_block_id}", response_model=SuccessResponse)
async def unblock_company(block_id: str, unit: Unit) -> Response:
    """Unblock one company by record id."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        company_blocks.unblock_company(tx, caller, block_id)
        return {"success": True, "message": "Company unblocked."}

    return await unit.write(work)
