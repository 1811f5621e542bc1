"""Precedence: which block, if any, stops a message to a lead right now.

A workspace block always wins over campaign-level settings: nothing done at campaign level
(removing a campaign block, re-enrolling) can make a workspace-blocked lead eligible.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadblock.domain.records import BlockedLead, CampaignBlock, Scope


@dataclass(frozen=True, slots=True)
class ActiveBlock:
    scope: Scope
    reason: str | None
    since: int


def effective_block(
    workspace_block: BlockedLead | None, campaign_block: CampaignBlock | None
) -> ActiveBlock | None:
    if workspace_block is not None:
        return ActiveBlock(Scope.WORKSPACE, workspace_block.reason, workspace_block.created_at)
    if campaign_block is not None:
        return ActiveBlock(Scope.CAMPAIGN, campaign_block.reason, campaign_block.created_at)
    return None
