"""Table gateways of `campaigns`, `campaign_blocked_leads` and `campaign_leads`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadblock.domain.companies import company_keys, company_of
from leadblock.domain.ids import now_ms
from leadblock.domain.records import (
    Campaign,
    CampaignBlock,
    CampaignLead,
    Contact,
    LeadStatus,
)
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

INSERT_CAMPAIGN = query("insert-campaign")
SELECT_CAMPAIGN = query("select-campaign")
COUNT_CAMPAIGNS = query("count-campaigns")
LIST_CAMPAIGNS = query("list-campaigns")
LIST_CAMPAIGNS_AFTER = query("list-campaigns-after")
DELETE_ALL_CAMPAIGN_BLOCKED_LEADS = query("delete-all-campaign-blocked-leads")
DELETE_ALL_CAMPAIGN_LEADS = query("delete-all-campaign-leads")
DELETE_ALL_CAMPAIGN_LEAD_COMPANIES = query("delete-all-campaign-lead-companies")
DELETE_CAMPAIGN = query("delete-campaign")
INSERT_CAMPAIGN_BLOCKED_LEADS = query("insert-campaign-blocked-leads")
SELECT_CAMPAIGN_BLOCKED_LEADS_BY_IDENTIFIERS = query("select-campaign-blocked-leads-by-identifiers")
DELETE_CAMPAIGN_BLOCKED_LEADS_BY_IDENTIFIERS = query("delete-campaign-blocked-leads-by-identifiers")
COUNT_CAMPAIGN_BLOCKED_LEADS = query("count-campaign-blocked-leads")
LIST_CAMPAIGN_BLOCKED_LEADS = query("list-campaign-blocked-leads")
LIST_CAMPAIGN_BLOCKED_LEADS_AFTER = query("list-campaign-blocked-leads-after")
EXTEND_CAMPAIGN_BLOCKED_LEADS = query("extend-campaign-blocked-leads")
EXPIRE_CAMPAIGN_BLOCKED_LEADS = query("expire-campaign-blocked-leads")
INSERT_CAMPAIGN_LEADS = query("insert-campaign-leads")
INSERT_CAMPAIGN_LEAD_COMPANIES = query("insert-campaign-lead-companies")
PLAN_DISPATCH = query("plan-dispatch")
COUNT_CAMPAIGN_LEADS = query("count-campaign-leads")
LIST_CAMPAIGN_LEADS = query("list-campaign-leads")
LIST_CAMPAIGN_LEADS_AFTER = query("list-campaign-leads-after")
DISPATCH_CAMPAIGN_LEADS = query("dispatch-campaign-leads")
SELECT_CLAIM_LEADS = query("select-claim-leads")
CONFIRM_CLAIM_LEADS = query("confirm-claim-leads")
RELEASE_CLAIM_LEADS = query("release-claim-leads")


def insert_campaign(tx: Transaction, workspace: int, campaign: Campaign) -> None:
    tx.execute(
        INSERT_CAMPAIGN,
        workspace=workspace,
        id=campaign.id,
        name=campaign.name,
        created_at=campaign.created_at,
    )


def find_campaign(tx: Transaction, workspace: int, campaign_id: str) -> Campaign | None:
    row = tx.one(SELECT_CAMPAIGN, workspace=workspace, id=campaign_id)
    return Campaign(row.id, row.name, row.created_at) if row else None


def count_campaigns(tx: Transaction, workspace: int) -> int:
    return int(tx.scalar(COUNT_CAMPAIGNS, workspace=workspace))


def campaigns_page(
    tx: Transaction, workspace: int, *, limit: int, offset: int, after: tuple[int, str] | None
) -> list[Campaign]:
    if after is None:
        rows = tx.rows(LIST_CAMPAIGNS, workspace=workspace, limit=limit, offset=offset)
    else:
        rows = tx.rows(
            LIST_CAMPAIGNS_AFTER,
            workspace=workspace,
            limit=limit,
            after_id=after[1],
        )
    return [Campaign(row.id, row.name, row.created_at) for row in rows]


def delete_campaign(
    tx: Transaction, workspace: int, campaign_id: str
) -> list[tuple[str, str | None, int | None]]:
    """Delete a campaign with its leads and blocks; return the (identifier, reason,
    expires_at) of its blocks, for the audit trail."""
    params = {"workspace": workspace, "campaign_id": campaign_id}
    removed = tx.rows(DELETE_ALL_CAMPAIGN_BLOCKED_LEADS, **params)
    tx.execute(DELETE_ALL_CAMPAIGN_LEAD_COMPANIES, **params)
    tx.execute(DELETE_ALL_CAMPAIGN_LEADS, **params)
    tx.execute(DELETE_CAMPAIGN, workspace=workspace, id=campaign_id)
    return [(row.public_identifier, row.reason, row.expires_at) for row in removed]


def insert_blocks(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    identifiers: Sequence[str],
    reason: str | None,
    created_at: int,
    expires_at: int | None = None,
) -> set[str]:
    """Block identifiers for one campaign; return those that were not blocked before."""
    rows = tx.rows(
        INSERT_CAMPAIGN_BLOCKED_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        identifiers=tx.table(sorted(identifiers)),
        reason=reason,
        created_at=created_at,
        expires_at=expires_at,
    )
    tx.grew("campaign_blocked_leads", len(rows))
    return {row.public_identifier for row in rows}


def find_blocks(
    tx: Transaction, workspace: int, campaign_id: str, identifiers: Sequence[str]
) -> dict[str, CampaignBlock]:
    if not identifiers:
        return {}
    rows = tx.rows(
        SELECT_CAMPAIGN_BLOCKED_LEADS_BY_IDENTIFIERS,
        workspace=workspace,
        campaign_id=campaign_id,
        identifiers=tx.table(sorted(identifiers)),
    )
    return {row.public_identifier: _block(campaign_id, row) for row in rows}


def extend_blocks(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    identifiers: Sequence[str],
    expires_at: int | None,
) -> set[str]:
    """Move the expiry of the campaign's blocks of `identifiers` to `expires_at` where that is
    later (None is the latest); return the identifiers whose block moved."""
    if not identifiers:
        return set()
    rows = tx.tuples(
        EXTEND_CAMPAIGN_BLOCKED_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        identifiers=tx.table(sorted(identifiers)),
        expires_at=expires_at,
    )
    return {identifier for (identifier,) in rows}


def expire_blocks(tx: Transaction, workspace: int, now: int, limit: int) -> list[CampaignBlock]:
    """Delete up to `limit` campaign blocks (any campaign) whose expiry is at or before `now`;
    return them."""
    rows = tx.rows(EXPIRE_CAMPAIGN_BLOCKED_LEADS, workspace=workspace, now=now, limit=limit)
    return [_block(row.campaign_id, row) for row in rows]


def delete_blocks(
    tx: Transaction, workspace: int, campaign_id: str, identifiers: Sequence[str]
) -> list[tuple[str, str | None, int | None]]:
    """Remove the campaign's blocks of `identifiers`; return their (identifier, reason,
    expires_at)."""
    rows = tx.rows(
        DELETE_CAMPAIGN_BLOCKED_LEADS_BY_IDENTIFIERS,
        workspace=workspace,
        campaign_id=campaign_id,
        identifiers=tx.table(identifiers),
    )
    return [(row.public_identifier, row.reason, row.expires_at) for row in rows]


def count_blocks(tx: Transaction, workspace: int, campaign_id: str) -> int:
    return int(
        tx.scalar(COUNT_CAMPAIGN_BLOCKED_LEADS, workspace=workspace, campaign_id=campaign_id)
    )


def blocks_page(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    *,
    limit: int,
    offset: int = 0,
    after: tuple[int, str] | None = None,
) -> list[CampaignBlock]:
    """Newest first, from `offset` or after the (created_at, identifier) position `after`."""
    keys = {"workspace": workspace, "campaign_id": campaign_id, "limit": limit}
    if after is None:
        rows = tx.rows(LIST_CAMPAIGN_BLOCKED_LEADS, offset=offset, **keys)
    else:
        rows = tx.rows(
            LIST_CAMPAIGN_BLOCKED_LEADS_AFTER,
            after_at=after[0],
            after_identifier=after[1],
            **keys,
        )
    return [_block(campaign_id, row) for row in rows]


def insert_leads(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    rows: Sequence[tuple[str, str, Contact]],
    created_at: int,
) -> set[str]:
    """Enrol (id, identifier, contact) rows not enrolled yet, with their company keys; return
    the identifiers added."""
    ordered = sorted(rows, key=lambda row: row[1])
    table = [
        (
            id_,
            ident,
            c.first_name,
            c.last_name,
            c.company_name,
            c.email,
            c.company_linkedin,
            c.company_domain,
        )
        for id_, ident, c in ordered
    ]
    inserted = dict(
        tx.tuples(
            INSERT_CAMPAIGN_LEADS,
            workspace=workspace,
            campaign_id=campaign_id,
            rows=tx.table(table),
            created_at=created_at,
        )
    )
    keys = [
        (id_, kind.value, value)
        for id_, _ident, c in ordered
        if id_ in inserted
        for kind, value in company_keys(company_of(c))
    ]
    if keys:
        tx.execute(
            INSERT_CAMPAIGN_LEAD_COMPANIES,
            workspace=workspace,
            campaign_id=campaign_id,
            rows=tx.table(keys),
        )
    tx.grew("campaign_leads", len(inserted))
    tx.grew("campaign_lead_companies", len(keys))
    return set(inserted.values())


def count_leads(tx: Transaction, workspace: int, campaign_id: str) -> int:
    return int(tx.scalar(COUNT_CAMPAIGN_LEADS, workspace=workspace, campaign_id=campaign_id))


def leads_page(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    *,
    limit: int,
    offset: int,
    after: tuple[int, str] | None,
) -> list[CampaignLead]:
    params: dict[str, Any] = {
        "workspace": workspace,
        "campaign_id": campaign_id,
        "limit": limit,
    }
    if after is None:
        rows = tx.rows(LIST_CAMPAIGN_LEADS, offset=offset, **params)
    else:
        rows = tx.rows(LIST_CAMPAIGN_LEADS_AFTER, after_id=after[1], **params)
    now = now_ms()
    return [_lead(campaign_id, row, now) for row in rows]


def claim_pending(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    limit: int,
    now: int,
    lease: tuple[str, int] | None = None,
) -> list[CampaignLead]:
    """Claim up to `limit` eligible pending leads, in enrolment order: mark them dispatched, or
    with `lease` (claim id, end of the lease) leased to that claim."""
    tx.tuples(PLAN_DISPATCH)
    claim_id, lease_expires_at = lease if lease is not None else (None, None)
    rows = tx.rows(
        DISPATCH_CAMPAIGN_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        limit=limit,
        now=now,
        status=LeadStatus.DISPATCHED.value if lease is None else LeadStatus.PENDING.value,
        dispatched_at=now if lease is None else None,
        claim_id=claim_id,
        lease_expires_at=lease_expires_at,
    )
    leads = [_lead(campaign_id, row, now) for row in rows]
    return sorted(leads, key=lambda lead: (lead.created_at, lead.id))


def claim_leads(
    tx: Transaction, workspace: int, campaign_id: str, claim_id: str, ids: Sequence[str] | None
) -> list[CampaignLead]:
    """The leads `claim_id` still holds: those of `ids`, or all of them (None). Locked (on
    PostgreSQL) until the transaction ends."""
    rows = tx.rows(
        SELECT_CLAIM_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        claim_id=claim_id,
        ids=None if ids is None else tx.table(sorted(ids)),
    )
    now = now_ms()
    return sorted((_lead(campaign_id, row, now) for row in rows), key=lambda lead: lead.id)


def confirm_claim_leads(
    tx: Transaction, workspace: int, campaign_id: str, claim_id: str, ids: Sequence[str], now: int
) -> int:
    """Mark held leads of `claim_id` dispatched; return how many."""
    if not ids:
        return 0
    return tx.execute(
        CONFIRM_CLAIM_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        claim_id=claim_id,
        ids=tx.table(sorted(ids)),
        now=now,
    )


def release_claim_leads(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    claim_id: str,
    ids: Sequence[str] | None,
) -> int:
    """Put the leads of `claim_id` (those of `ids`, or all), leased or confirmed, back to
    pending; return how many."""
    return tx.execute(
        RELEASE_CLAIM_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        claim_id=claim_id,
        ids=None if ids is None else tx.table(sorted(ids)),
    )


def _block(campaign_id: str, row: Any) -> CampaignBlock:
    return CampaignBlock(
        campaign_id, row.public_identifier, row.reason, row.created_at, row.expires_at
    )


def _lead(campaign_id: str, row: Any, now: int) -> CampaignLead:
    """A campaign lead as of `now`: a pending lead under a live lease is LEASED; once its
    lease has run out it is pending again, claimable by the next dispatch."""
    leased = (
        row.status == LeadStatus.PENDING
        and row.lease_expires_at is not None
        and row.lease_expires_at > now
    )
    return CampaignLead(
        id=row.id,
        campaign_id=campaign_id,
        public_identifier=row.public_identifier,
        contact=Contact(
            row.first_name,
            row.last_name,
            row.company_name,
            row.email,
            row.company_linkedin,
            row.company_domain,
        ),
        status=LeadStatus.LEASED if leased else LeadStatus(row.status),
        created_at=row.created_at,
        claim_id=row.claim_id if leased else None,
        lease_expires_at=row.lease_expires_at if leased else None,
    )
