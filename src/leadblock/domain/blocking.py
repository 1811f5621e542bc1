"""Precedence: which block, if any, stops a message to a lead right now.

A block is in force from its creation until its `expires_at` (exclusive; None: for ever). When
several apply, a workspace block wins, then a company block, then a campaign block: nothing
done at campaign level (removing a campaign block, re-enrolling) can make a lead blocked for the
workspace or its company eligible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from leadblock.domain.records import BlockedLead, CampaignBlock, CompanyBlock, Scope


class ActiveBlock(NamedTuple):
    scope: Scope
    reason: str | None
    since: int
    expires_at: int | None = None
    company_block_id: str | None = None  # with scope COMPANY: the block that applies


def in_force(expires_at: int | None, now: int) -> bool:
    """Whether a block with this expiry still applies at `now`: it ends at that instant."""
    return expires_at is None or expires_at > now


def effective_blocks(
    workspace_blocks: Mapping[str, BlockedLead],
    campaign_blocks: Mapping[str, CampaignBlock],
    now: int,
    company_blocks: Mapping[str, CompanyBlock] | None = None,
) -> dict[str, ActiveBlock]:
    """The block in force at `now` for each blocked identifier; an identifier absent is not
    blocked. `company_blocks` maps an identifier to the company block that matches its lead."""
    blocks = {
        ident: ActiveBlock(Scope.CAMPAIGN, block.reason, block.created_at, block.expires_at)
        for ident, block in campaign_blocks.items()
        if in_force(block.expires_at, now)
    }
    # Stronger scopes last: each replaces any weaker block of the same lead.
    if company_blocks:
        blocks.update(
            (
                ident,
                ActiveBlock(
                    Scope.COMPANY, block.reason, block.created_at, block.expires_at, block.id
                ),
            )
            for ident, block in company_blocks.items()
            if in_force(block.expires_at, now)
        )
    blocks.update(
        (ident, ActiveBlock(Scope.WORKSPACE, block.reason, block.created_at, block.expires_at))
        for ident, block in workspace_blocks.items()
        if in_force(block.expires_at, now)
    )
    return blocks
