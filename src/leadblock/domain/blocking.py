"""Precedence: which block, if any, stops a message to a lead right now.

A workspace block always wins over campaign-level settings: nothing done at campaign level
(removing a campaign block, re-enrolling) can make a workspace-blocked lead eligible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from leadblock.domain.records import BlockedLead, CampaignBlock, Scope


class ActiveBlock(NamedTuple):
    scope: Scope
    reason: str | None
    since: int


def effective_blocks(
    workspace_blocks: Mapping[str, BlockedLead], campaign_blocks: Mapping[str, CampaignBlock]
) -> dict[str, ActiveBlock]:
    """The block in force for each blocked identifier; an identifier absent is not blocked."""
    blocks = {
        ident: ActiveBlock(Scope.CAMPAIGN, block.reason, block.created_at)
        for ident, block in campaign_blocks.items()
    }
    # Workspace blocks last: they replace any campaign block of the same lead.
    blocks.update(
        (ident, ActiveBlock(Scope.WORKSPACE, block.reason, block.created_at))
        for ident, block in workspace_blocks.items()
    )
    return blocks
