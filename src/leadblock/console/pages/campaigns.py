"""Campaigns: the list, creating one, and a campaign's blocks and leads with the block that
stops each lead right now (workspace or campaign)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from starlette.responses import Response

from leadblock.console.forms import expiry_choice, line_errors, pasted_lines, positive_int
from leadblock.console.web import (
    PREFIX,
    DatabaseDep,
    PostVisitorDep,
    Visitor,
    VisitorDep,
    new_router,
    render,
    see_other,
)
from leadblock.domain.ids import now_ms
from leadblock.errors import InvalidInput
from leadblock.services import campaigns
from leadblock.storage.db import Database

router = new_router()
PAGE_SIZE = 50
BLOCKS_PAGE_SIZE = 100  # the most the campaign blocks list pages by (WaLead's `take`)


@router.get("/campaigns")
def campaigns_page(
    request: Request, visitor: VisitorDep, database: DatabaseDep, cursor: str | None = None
) -> Response:
    return _campaigns(request, visitor, database, cursor)


@router.post("/campaigns")
def create_campaign(
    request: Request,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        with database.transaction(write=True) as tx:
            campaign = campaigns.create_campaign(tx, visitor.caller, name)
    except InvalidInput as error:
        return _campaigns(
            request,
            visitor,
            database,
            status_code=400,
            create_error=error.message,
            create_name=name,
        )
    return see_other(f"{PREFIX}/campaigns/{quote(campaign.id)}")


@router.get("/campaigns/{campaign_id}")
def campaign_page(
    request: Request,
    campaign_id: str,
    visitor: VisitorDep,
    database: DatabaseDep,
    cursor: str | None = None,
    skip: str | None = None,
    blocked: str | None = None,
    already: str | None = None,
    released: str | None = None,
) -> Response:
    notice = None
    if blocked is not None:
        notice = (
            f"{positive_int(blocked):,} blocked in this campaign, "
            f"{positive_int(already):,} already blocked in it."
        )
    elif released is not None:
        notice = f"{positive_int(released):,} lead(s) released: back to pending."
    return _campaign(
        request, visitor, database, campaign_id, cursor, positive_int(skip), notice=notice
    )


@router.post("/campaigns/{campaign_id}/blocks")
def block_in_campaign(
    request: Request,
    campaign_id: str,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    identifiers: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    duration: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
) -> Response:
    lines = pasted_lines(identifiers)
    try:
        with database.transaction(write=True) as tx:
            expires_at = expiry_choice(duration, until, now_ms())
            outcome = campaigns.block_in_campaign(
                tx, visitor.caller, campaign_id, [value for _, value in lines], reason, expires_at
            )
    except InvalidInput as error:
        return _campaign(
            request,
            visitor,
            database,
            campaign_id,
            status_code=400,
            block_error=error.message,
            block_line_errors=line_errors(error, lines),
            block_identifiers=identifiers,
            block_reason=reason,
            block_duration=duration,
            block_until=until,
        )
    return see_other(
        f"{PREFIX}/campaigns/{quote(campaign_id)}"
        f"?blocked={outcome.blocked}&already={outcome.already_blocked}"
    )


@router.post("/campaigns/{campaign_id}/claims/{claim_id}/release")
def release_claim(
    campaign_id: str, claim_id: str, visitor: PostVisitorDep, database: DatabaseDep
) -> Response:
    with database.transaction(write=True) as tx:
        released = campaigns.release(tx, visitor.caller, campaign_id, claim_id, None)
    return see_other(f"{PREFIX}/campaigns/{quote(campaign_id)}?released={released}")


def _campaigns(
    request: Request,
    visitor: Visitor,
    database: Database,
    cursor: str | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    with database.transaction() as tx:
        page = campaigns.list_campaigns(tx, visitor.caller, limit=PAGE_SIZE, cursor=cursor or None)
    return render(
        request,
        "campaigns.html",
        visitor,
        status_code=status_code,
        page=page,
        cursor=cursor,
        **context,
    )


def _campaign(
    request: Request,
    visitor: Visitor,
    database: Database,
    campaign_id: str,
    cursor: str | None = None,
    skip: int = 0,
    status_code: int = 200,
    **context: object,
) -> Response:
    with database.transaction() as tx:
        campaign = campaigns.get_campaign(tx, visitor.caller, campaign_id)
        blocks, blocks_total = campaigns.list_campaign_blocks(
            tx, visitor.caller, campaign_id, skip=skip, take=BLOCKS_PAGE_SIZE
        )
        leads = campaigns.list_leads(
            tx, visitor.caller, campaign_id, limit=PAGE_SIZE, cursor=cursor or None
        )
    return render(
        request,
        "campaign.html",
        visitor,
        status_code=status_code,
        campaign=campaign,
        blocks=blocks,
        blocks_total=blocks_total,
        skip=skip,
        blocks_page_size=BLOCKS_PAGE_SIZE,
        leads=leads,
        cursor=cursor,
        **context,
    )
