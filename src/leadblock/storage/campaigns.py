"""Table gateways of `campaigns`, `campaign_blocked_leads` and `campaign_leads`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadblock.domain.records import (
    Campaign,
    CampaignBlock,
    CampaignLead,
    Contact,
    LeadStatus,
)
from leadblock.storage.db import Transaction


def insert_campaign(tx: Transaction, campaign: Campaign) -> None:
    tx.execute(
        "insert-campaign",
        workspace_id=campaign.workspace_id,
        id=campaign.id,
        name=campaign.name,
        created_at=campaign.created_at,
    )


def find_campaign(tx: Transaction, workspace_id: str, campaign_id: str) -> Campaign | None:
    row = tx.one("select-campaign", workspace_id=workspace_id, id=campaign_id)
    return Campaign(row.id, workspace_id, row.name, row.created_at) if row else None


def count_campaigns(tx: Transaction, workspace_id: str) -> int:
    return int(tx.scalar("count-campaigns", workspace_id=workspace_id))


def campaigns_page(
    tx: Transaction, workspace_id: str, *, limit: int, offset: int, after: tuple[int, str] | None
) -> list[Campaign]:
    if after is None:
        rows = tx.rows("list-campaigns", workspace_id=workspace_id, limit=limit, offset=offset)
    else:
        rows = tx.rows(
            "list-campaigns-after",
            workspace_id=workspace_id,
            limit=limit,
            after_at=after[0],
            after_id=after[1],
        )
    return [Campaign(row.id, workspace_id, row.name, row.created_at) for row in rows]


def delete_campaign(
    tx: Transaction, workspace_id: str, campaign_id: str
) -> list[tuple[str, str | None]]:
    """Delete a campaign with its leads and blocks; return the (identifier, reason) of its
    blocks, for the audit trail."""
    params = {"workspace_id": workspace_id, "campaign_id": campaign_id}
    removed = tx.rows("delete-all-campaign-blocked-leads", **params)
    tx.execute("delete-all-campaign-leads", **params)
    tx.execute("delete-campaign", workspace_id=workspace_id, id=campaign_id)
    return [(row.public_identifier, row.reason) for row in removed]


def insert_blocks(
    tx: Transaction,
    workspace_id: str,
    campaign_id: str,
    identifiers: Sequence[str],
    reason: str | None,
    created_at: int,
) -> set[str]:
    """Block identifiers for one campaign; return those that were not blocked before."""
    rows = tx.rows(
        "insert-campaign-blocked-leads",
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        identifiers=tx.table(sorted(identifiers)),
        reason=reason,
        created_at=created_at,
    )
    return {row.public_identifier for row in rows}


def find_blocks(
    tx: Transaction, workspace_id: str, campaign_id: str, identifiers: Sequence[str]
) -> dict[str, CampaignBlock]:
    if not identifiers:
        return {}
    rows = tx.rows(
        "select-campaign-blocked-leads-by-identifiers",
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        identifiers=tx.table(sorted(identifiers)),
    )
    return {row.public_identifier: _block(campaign_id, row) for row in rows}


def delete_blocks(
    tx: Transaction, workspace_id: str, campaign_id: str, identifiers: Sequence[str]
) -> list[tuple[str, str | None]]:
    rows = tx.rows(
        "delete-campaign-blocked-leads-by-identifiers",
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        identifiers=tx.table(identifiers),
    )
    return [(row.public_identifier, row.reason) for row in rows]


def count_blocks(tx: Transaction, workspace_id: str, campaign_id: str) -> int:
    return int(
        tx.scalar(
            "count-campaign-blocked-leads", workspace_id=workspace_id, campaign_id=campaign_id
        )
    )


def blocks_page(
    tx: Transaction, workspace_id: str, campaign_id: str, *, skip: int, take: int
) -> list[CampaignBlock]:
    rows = tx.rows(
        "list-campaign-blocked-leads",
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        limit=take,
        offset=skip,
    )
    return [_block(campaign_id, row) for row in rows]


def insert_leads(
    tx: Transaction,
    workspace_id: str,
    campaign_id: str,
    rows: Sequence[tuple[str, str, Contact]],
    created_at: int,
) -> set[str]:
    """Enrol (id, identifier, contact) rows not enrolled yet; return the identifiers added."""
    table = [
        (id_, ident, c.first_name, c.last_name, c.company_name, c.email)
        for id_, ident, c in sorted(rows, key=lambda row: row[1])
    ]
    inserted = tx.rows(
        "insert-campaign-leads",
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        rows=tx.table(table),
        created_at=created_at,
    )
    return {row.public_identifier for row in inserted}


def count_leads(tx: Transaction, workspace_id: str, campaign_id: str) -> int:
    return int(
        tx.scalar("count-campaign-leads", workspace_id=workspace_id, campaign_id=campaign_id)
    )


def leads_page(
    tx: Transaction,
    workspace_id: str,
    campaign_id: str,
    *,
    limit: int,
    offset: int,
    after: tuple[int, str] | None,
) -> list[CampaignLead]:
    params: dict[str, Any] = {
        "workspace_id": workspace_id,
        "campaign_id": campaign_id,
        "limit": limit,
    }
    if after is None:
        rows = tx.rows("list-campaign-leads", offset=offset, **params)
    else:
        rows = tx.rows("list-campaign-leads-after", after_at=after[0], after_id=after[1], **params)
    return [_lead(campaign_id, row) for row in rows]


def claim_pending(
    tx: Transaction, workspace_id: str, campaign_id: str, limit: int, now: int
) -> list[CampaignLead]:
    """Mark up to `limit` eligible pending leads dispatched and return them in enrolment order."""
    rows = tx.rows(
        "dispatch-campaign-leads",
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        limit=limit,
        now=now,
    )
    leads = [_lead(campaign_id, row) for row in rows]
    return sorted(leads, key=lambda lead: (lead.created_at, lead.id))


def _block(campaign_id: str, row: Any) -> CampaignBlock:
    return CampaignBlock(campaign_id, row.public_identifier, row.reason, row.created_at)


def _lead(campaign_id: str, row: Any) -> CampaignLead:
    return CampaignLead(
        id=row.id,
        campaign_id=campaign_id,
        public_identifier=row.public_identifier,
        contact=Contact(row.first_name, row.last_name, row.company_name, row.email),
        status=LeadStatus(row.status),
        created_at=row.created_at,
    )
