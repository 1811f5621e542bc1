"""`/api/v1/campaigns`: campaigns, their blocklists (WaLead shapes), leads and dispatch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import Response

from leadblock.api.dependencies import ApiKeyDep, DatabaseDep, authenticate
from leadblock.api.inline import run_database_work
from leadblock.api.paging import Cursor, Limit, Offset, paged_response
from leadblock.api.responses import OrjsonResponse
from leadblock.api.schemas import (
    CampaignBlockOut,
    CampaignBlockRequest,
    CampaignBlockResponse,
    CampaignCreated,
    CampaignIn,
    CampaignLeadOut,
    CampaignOut,
    CampaignUnblockResponse,
    DispatchRequest,
    DispatchResponse,
    EnrolRequest,
    EnrolResponse,
    SuccessResponse,
    campaign_block_json,
    campaign_json,
    campaign_lead_json,
)
from leadblock.services import campaigns
from leadblock.services.campaigns import RawLead

router = APIRouter(prefix="/campaigns", tags=["Campaigns"])


@router.post("", response_model=CampaignCreated)
def create_campaign(body: CampaignIn, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """Create a campaign of the key's workspace."""
    caller = authenticate(database, api_key)
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, body.name)
    return OrjsonResponse(
        {"success": True, "message": "Campaign created.", **campaign_json(campaign)}
    )


@router.get("", response_model=list[CampaignOut])
def list_campaigns(
    request: Request,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Response:
    """The workspace's campaigns, newest first, paged like `GET /blocked-leads`."""
    caller = authenticate(database, api_key)
    with database.transaction() as tx:
        page = campaigns.list_campaigns(tx, caller, limit=limit, offset=offset, cursor=cursor)
    return paged_response(
        [campaign_json(c) for c in page.items], page.total, page.next_cursor, request
    )


@router.get("/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: str, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """One campaign."""
    caller = authenticate(database, api_key)
    with database.transaction() as tx:
        campaign = campaigns.get_campaign(tx, caller, campaign_id)
    return OrjsonResponse(campaign_json(campaign))


@router.delete("/{campaign_id}", response_model=SuccessResponse)
def delete_campaign(campaign_id: str, api_key: ApiKeyDep, database: DatabaseDep) -> Response:
    """Delete a campaign with its leads and campaign blocks. Its audit events stay."""
    caller = authenticate(database, api_key)
    with database.transaction(write=True) as tx:
        campaigns.delete_campaign(tx, caller, campaign_id)
    return OrjsonResponse({"success": True, "message": "Campaign deleted."})


@router.post("/{campaign_id}/blocked-leads", response_model=CampaignBlockResponse)
def block_in_campaign(
    campaign_id: str, body: CampaignBlockRequest, api_key: ApiKeyDep, database: DatabaseDep
) -> Response:
    """Block leads for this campaign only (WaLead-compatible). All or nothing, idempotent."""
    caller = authenticate(database, api_key)
    with database.transaction(write=True) as tx:
        outcome = campaigns.block_in_campaign(
            tx, caller, campaign_id, body.public_identifiers, body.reason
        )
    return OrjsonResponse(
        {
            "success": True,
            "message": f"{outcome.blocked} lead(s) blocked for this campaign.",
            "blocked": outcome.blocked,
            "alreadyBlocked": outcome.already_blocked,
            "duplicates": outcome.duplicates,
        }
    )


@router.get("/{campaign_id}/blocked-leads", response_model=list[CampaignBlockOut])
def list_campaign_blocks(
    campaign_id: str,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    skip: Annotated[int, Query(ge=0, description="Rows to skip")] = 0,
    take: Annotated[int, Query(ge=1, le=100, description="Page size, 1–100")] = 10,
) -> Response:
    """The campaign's own blocks, newest first (WaLead shape); `X-Total-Count` header."""
    caller = authenticate(database, api_key)
    with database.transaction() as tx:
        items, total = campaigns.list_campaign_blocks(tx, caller, campaign_id, skip=skip, take=take)
    return OrjsonResponse(
        [campaign_block_json(block) for block in items], headers={"X-Total-Count": str(total)}
    )


@router.delete("/{campaign_id}/blocked-leads", response_model=CampaignUnblockResponse)
def unblock_in_campaign(
    campaign_id: str,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    body: Annotated[list[str], Body(description="Public identifiers or profile URLs")],
) -> Response:
    """Remove campaign blocks. A workspace block of the same lead stays in force."""
    caller = authenticate(database, api_key)
    with database.transaction(write=True) as tx:
        outcome = campaigns.unblock_in_campaign(tx, caller, campaign_id, body)
    return OrjsonResponse(
        {
            "success": True,
            "message": f"{outcome.unblocked} lead(s) unblocked for this campaign.",
            "unblocked": outcome.unblocked,
            "notFound": outcome.not_found,
        }
    )


@router.post("/{campaign_id}/leads", response_model=EnrolResponse)
def enrol_leads(
    campaign_id: str, body: EnrolRequest, api_key: ApiKeyDep, database: DatabaseDep
) -> Response:
    """Enrol up to 10,000 leads. Blocked leads are enrolled too and wait, pending, until
    unblocked; a lead already in the campaign keeps its record and status."""
    caller = authenticate(database, api_key)
    raw = [
        RawLead(
            lead.public_identifier, lead.first_name, lead.last_name, lead.company_name, lead.email
        )
        for lead in body.leads
    ]
    with database.transaction(write=True) as tx:
        outcome = campaigns.enrol_leads(tx, caller, campaign_id, raw)
    return OrjsonResponse(
        {
            "success": True,
            "message": f"{outcome.added} lead(s) added to the campaign.",
            "added": outcome.added,
            "alreadyInCampaign": outcome.already_in_campaign,
            "blocked": outcome.blocked,
            "duplicates": outcome.duplicates,
        }
    )


@router.get("/{campaign_id}/leads", response_model=list[CampaignLeadOut])
def list_leads(
    request: Request,
    campaign_id: str,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Response:
    """The campaign's leads in enrolment order, with `blocked` computed now (`null`, or the
    block in force: a workspace block wins over a campaign block)."""
    caller = authenticate(database, api_key)
    with database.transaction() as tx:
        page = campaigns.list_leads(
            tx, caller, campaign_id, limit=limit, offset=offset, cursor=cursor
        )
    return paged_response(
        [campaign_lead_json(view) for view in page.items], page.total, page.next_cursor, request
    )


@router.post("/{campaign_id}/dispatch", response_model=DispatchResponse)
async def dispatch(
    campaign_id: str,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    body: DispatchRequest | None = None,
) -> Response:
    """Claim up to `limit` (1–1000, default 100) pending leads that are blocked at neither
    level at this moment, mark them dispatched and return them, in enrolment order.

    Atomic: two concurrent dispatches never return the same lead, and a block acknowledged
    before this request is honoured. An empty `leads` means nothing is eligible now.
    """
    limit = body.limit if body else 100

    def work() -> list[campaigns.LeadView]:
        caller = authenticate(database, api_key)
        with database.transaction(write=True) as tx:
            return campaigns.dispatch(tx, caller, campaign_id, limit)

    views = await run_database_work(database, work, limit)
    return OrjsonResponse({"success": True, "leads": [campaign_lead_json(v) for v in views]})
