"""`/api/v1/campaigns`: campaigns, their blocklists (WaLead shapes), leads and dispatch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import Response

from leadblock.api.dry_run import DryRun, dry_answer
from leadblock.api.paging import PAGED, Cursor, IntegerText, Limit, Offset, paged
from leadblock.api.schemas import (
    CampaignBlockOut,
    CampaignBlockRequest,
    CampaignBlockResponse,
    CampaignCreated,
    CampaignIn,
    CampaignLeadOut,
    CampaignOut,
    CampaignUnblockRequest,
    CampaignUnblockResponse,
    ClaimLeadsRequest,
    ConfirmResponse,
    DispatchRequest,
    DispatchResponse,
    EnrolRequest,
    EnrolResponse,
    ReleaseResponse,
    SuccessResponse,
    UnblockIdentifiers,
    block_state_json,
    campaign_block_json,
    campaign_json,
    campaign_lead_json,
)
from leadblock.api.unit import LARGE_WORK, Reply, Unit
from leadblock.domain.records import Caller
from leadblock.domain.timestamps import iso
from leadblock.errors import InvalidInput
from leadblock.services import campaigns
from leadblock.services.campaigns import RawLead
from leadblock.services.paging import MAX_OFFSET, MAX_PAGE_SIZE
from leadblock.storage.db import Transaction
from leadblock.web.json_body import JsonBodyRoute

router = APIRouter(prefix="/campaigns", tags=["Campaigns"], route_class=JsonBodyRoute)


@router.post("", response_model=CampaignCreated)
async def create_campaign(body: CampaignIn, unit: Unit) -> Response:
    """Create a campaign of the key's workspace."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        campaign = campaigns.create_campaign(tx, caller, body.name)
        return {"success": True, "message": "Campaign created.", **campaign_json(campaign)}

    return await unit.write(work)


@router.get("", response_model=list[CampaignOut], responses=PAGED)
async def list_campaigns(
    request: Request, unit: Unit, limit: Limit = 100, offset: Offset = 0, cursor: Cursor = None
) -> Response:
    """The workspace's campaigns, newest first, paged like `GET /blocked-leads`."""

    def work(tx: Transaction, caller: Caller) -> Reply:
        page = campaigns.list_campaigns(tx, caller, limit=limit, offset=offset, cursor=cursor)
        return paged([campaign_json(c) for c in page.items], page.total, page.next_cursor, request)

    return await unit.read(work, items=LARGE_WORK)


@router.get("/{campaign_id}", response_model=CampaignOut)
async def get_campaign(campaign_id: str, unit: Unit) -> Response:
    """One campaign."""
    return await unit.read(
        lambda tx, caller: campaign_json(campaigns.get_campaign(tx, caller, campaign_id))
    )


@router.delete("/{campaign_id}", response_model=SuccessResponse)
async def delete_campaign(campaign_id: str, unit: Unit) -> Response:
    """Delete a campaign with its leads and campaign blocks. Its audit events stay."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        campaigns.delete_campaign(tx, caller, campaign_id)
        return {"success": True, "message": "Campaign deleted."}

    return await unit.write(work, items=LARGE_WORK)


@router.post("/{campaign_id}/blocked-leads", response_model=CampaignBlockResponse)
async def block_in_campaign(
    campaign_id: str, body: CampaignBlockRequest, unit: Unit, dry_run: DryRun = False
) -> Response:
    """Block leads for this campaign only (WaLead-compatible). All or nothing, idempotent; one
    `expiresAt` for the whole request, and an already-blocked lead's expiry only moves later."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = campaigns.block_in_campaign(
            tx, caller, campaign_id, body.public_identifiers, body.reason, body.expires_at
        )
        return dry_answer(
            {
                "success": True,
                "message": f"{outcome.blocked:,} lead(s) blocked for this campaign.",
                "blocked": outcome.blocked,
                "alreadyBlocked": outcome.already_blocked,
                "extended": outcome.extended,
                "duplicates": outcome.duplicates,
            },
            dry_run,
        )

    return await unit.write(work, items=len(body.public_identifiers), dry_run=dry_run)


@router.get("/{campaign_id}/blocked-leads", response_model=list[CampaignBlockOut], responses=PAGED)
async def list_campaign_blocks(
    request: Request,
    campaign_id: str,
    unit: Unit,
    skip: Annotated[
        int | None,
        Query(ge=0, le=MAX_OFFSET, description="Rows to skip (WaLead paging)"),
        IntegerText,
    ] = None,
    take: Annotated[
        int | None,
        Query(ge=1, le=100, description="Page size, 1–100 (WaLead paging; default 10)"),
        IntegerText,
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_PAGE_SIZE, description="Page size, 1–1000 (keyset paging)"),
        IntegerText,
    ] = None,
    cursor: Cursor = None,
) -> Response:
    """The campaign's own blocks, newest first (WaLead shape), with `X-Total-Count`.

    Page with WaLead's `skip`/`take`, or like the other lists with `limit`/`cursor`
    (`X-Next-Cursor` and `Link` when more exist); not both at once.
    """
    keyset = limit is not None or cursor is not None

    def work(tx: Transaction, caller: Caller) -> Reply:
        if keyset and (skip is not None or take is not None):
            raise InvalidInput("Page with skip/take or with limit/cursor, not both.")
        if keyset:
            page = campaigns.page_campaign_blocks(
                tx, caller, campaign_id, limit=limit or 100, cursor=cursor
            )
            items = [campaign_block_json(block) for block in page.items]
            return paged(items, page.total, page.next_cursor, request)
        blocks, total = campaigns.list_campaign_blocks(
            tx, caller, campaign_id, skip=skip or 0, take=take or 10
        )
        return Reply(
            [campaign_block_json(block) for block in blocks], {"X-Total-Count": str(total)}
        )

    return await unit.read(work, items=LARGE_WORK if skip else (limit or take or 10))


@router.delete("/{campaign_id}/blocked-leads", response_model=CampaignUnblockResponse)
async def unblock_in_campaign(
    campaign_id: str,
    unit: Unit,
    body: Annotated[
        UnblockIdentifiers | CampaignUnblockRequest,
        Body(description="Public identifiers or profile URLs (WaLead), or {publicIdentifiers}"),
    ],
) -> Response:
    """Remove campaign blocks. A workspace block of the same lead stays in force."""
    identifiers = body if isinstance(body, list) else body.public_identifiers

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = campaigns.unblock_in_campaign(tx, caller, campaign_id, identifiers)
        return {
            "success": True,
            "message": f"{outcome.unblocked:,} lead(s) unblocked for this campaign.",
            "unblocked": outcome.unblocked,
            "notFound": outcome.not_found,
        }

    return await unit.write(work, items=len(identifiers))


@router.post("/{campaign_id}/leads", response_model=EnrolResponse)
async def enrol_leads(campaign_id: str, body: EnrolRequest, unit: Unit) -> Response:
    """Enrol up to 10,000 leads. Blocked leads are enrolled too and wait, pending, until
    unblocked; a lead already in the campaign keeps its record and status."""
    raw = [
        RawLead(
            lead.public_identifier,
            lead.first_name,
            lead.last_name,
            lead.company_name,
            lead.email,
            lead.company_linkedin,
            lead.company_domain,
        )
        for lead in body.leads
    ]

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = campaigns.enrol_leads(tx, caller, campaign_id, raw)
        return {
            "success": True,
            "message": f"{outcome.added:,} lead(s) added to the campaign.",
            "added": outcome.added,
            "alreadyInCampaign": outcome.already_in_campaign,
            "blocked": outcome.blocked,
            "duplicates": outcome.duplicates,
        }

    return await unit.write(work, items=len(raw))


@router.get("/{campaign_id}/leads", response_model=list[CampaignLeadOut], responses=PAGED)
async def list_campaign_leads(
    request: Request,
    campaign_id: str,
    unit: Unit,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Response:
    """The campaign's leads in enrolment order, with `blocked` computed now (`null`, or the
    block in force: a workspace block wins over a campaign block)."""

    def work(tx: Transaction, caller: Caller) -> Reply:
        page = campaigns.list_leads(
            tx, caller, campaign_id, limit=limit, offset=offset, cursor=cursor
        )
        return paged(
            [campaign_lead_json(view) for view in page.items], page.total, page.next_cursor, request
        )

    return await unit.read(work, items=LARGE_WORK if offset else limit)


@router.post("/{campaign_id}/dispatch", response_model=DispatchResponse)
async def dispatch_leads(
    campaign_id: str, unit: Unit, body: DispatchRequest | None = None
) -> Response:
    """Claim up to `limit` (1–1000, default 100) pending leads that are blocked at neither
    level at this moment and held by no live lease, and return them, in enrolment order:
    marked dispatched, or with `leaseSeconds` leased to a new claim (`claimId`,
    `leaseExpiresAt`) until confirmed, released or the lease runs out.

    Atomic: two concurrent dispatches never return the same lead, and a block acknowledged
    before this request is honoured. An empty `leads` means nothing is eligible now.
    """
    limit = body.limit if body else 100
    lease_seconds = body.lease_seconds if body else None

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        claim = campaigns.dispatch(tx, caller, campaign_id, limit, lease_seconds)
        answer: dict[str, Any] = {
            "success": True,
            "leads": [campaign_lead_json(v) for v in claim.leads],
        }
        if claim.claim_id is not None:
            assert claim.lease_expires_at is not None
            answer["claimId"] = claim.claim_id
            answer["leaseExpiresAt"] = iso(claim.lease_expires_at)
        return answer

    return await unit.write(work, items=limit)


@router.post("/{campaign_id}/claims/{claim_id}/confirm", response_model=ConfirmResponse)
async def confirm_claim(
    campaign_id: str, claim_id: str, unit: Unit, body: ClaimLeadsRequest | None = None
) -> Response:
    """The gate's last word before messaging: each lead (`leadIds`, default all) the claim
    still holds becomes dispatched if no block applies at this moment (`confirmed`: message
    exactly these), else goes back to pending (`blocked`, with the block). A lead whose lease
    ran out is still held unless a later dispatch claimed it; other ids are in `notHeld`."""
    lead_ids = body.lead_ids if body else None

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        outcome = campaigns.confirm(tx, caller, campaign_id, claim_id, lead_ids)
        return {
            "success": True,
            "confirmed": [campaign_lead_json(view) for view in outcome.confirmed],
            "blocked": [
                {"lead": campaign_lead_json(view), **block_state_json(view.block)}
                for view in outcome.blocked
                if view.block is not None
            ],
            "notHeld": outcome.not_held,
        }

    return await unit.write(work, items=len(lead_ids) if lead_ids else LARGE_WORK)


@router.post("/{campaign_id}/claims/{claim_id}/release", response_model=ReleaseResponse)
async def release_claim(
    campaign_id: str, claim_id: str, unit: Unit, body: ClaimLeadsRequest | None = None
) -> Response:
    """Put leads (`leadIds`, default all) of the claim back to pending at once, for the next
    dispatch: leased ones a sender will not message, and confirmed ones it could not message.
    A lead a later dispatch claimed after the lease ran out is not released."""
    lead_ids = body.lead_ids if body else None

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        released = campaigns.release(tx, caller, campaign_id, claim_id, lead_ids)
        return {"success": True, "released": released}

    return await unit.write(work, items=len(lead_ids) if lead_ids else LARGE_WORK)
