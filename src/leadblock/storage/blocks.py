"""The blocks of every kind that may stop some leads (workspace, campaign, company), read in one
statement, every one scoped by workspace.

One statement, not one a table: on PostgreSQL each statement of a READ COMMITTED transaction
sees a snapshot of its own, and a lead whose block moved from one kind to another between two
statements (a person block swapped for its company's) was answered "not blocked" although it
was blocked at every instant (tests/storage/test_one_snapshot.py).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from leadblock.domain.records import BlockedLead, CampaignBlock, CompanyBlock, CompanyKind
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

SELECT_BLOCKS_OF_LEADS = query("select-blocks-of-leads")

_IN_WORKSPACE = "lead"
_IN_CAMPAIGN = "campaign"


class LeadBlocks(NamedTuple):
    """Blocks found, expired or not (the caller judges them at its instant), by value."""

    in_workspace: dict[str, BlockedLead]
    in_campaign: dict[str, CampaignBlock]
    domains: dict[str, CompanyBlock]
    linkedin_companies: dict[str, CompanyBlock]


def find(
    tx: Transaction,
    workspace: int,
    campaign_id: str | None,
    identifiers: Collection[str],
    domains: Collection[str],
    linkedin_companies: Collection[str],
) -> LeadBlocks:
    """The workspace blocks and `campaign_id`'s blocks (if given) of `identifiers`, and the
    company blocks of `domains` and of `linkedin_companies`."""
    # Each list in key order, as its index is: each index page is read once.
    rows = tx.tuples(
        SELECT_BLOCKS_OF_LEADS,
        workspace=workspace,
        campaign_id=campaign_id,
        identifiers=tx.table(sorted(identifiers)),
        domains=tx.table(sorted(domains)),
        linkedin_companies=tx.table(sorted(linkedin_companies)),
    )
    found = LeadBlocks({}, {}, {}, {})
    for kind, value, id_, name, reason, created_at, expires_at in rows:
        if kind == _IN_WORKSPACE:
            found.in_workspace[value] = BlockedLead(id_, value, reason, created_at, expires_at)
        elif kind == _IN_CAMPAIGN:
            assert campaign_id is not None
            found.in_campaign[value] = CampaignBlock(
                campaign_id, value, reason, created_at, expires_at
            )
        else:
            company = CompanyKind(kind)
            of_kind = found.domains if company == CompanyKind.DOMAIN else found.linkedin_companies
            of_kind[value] = CompanyBlock(id_, company, value, name, reason, created_at, expires_at)
    return found
