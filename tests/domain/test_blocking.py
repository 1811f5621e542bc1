"""Precedence: a workspace block always wins over a campaign block."""

from __future__ import annotations

from leadblock.domain.blocking import ActiveBlock, effective_blocks
from leadblock.domain.records import BlockedLead, CampaignBlock, Scope


def workspace_block(ident: str, reason: str, at: int) -> BlockedLead:
    return BlockedLead("id-" + ident, ident, reason, at)


def campaign_block(ident: str, reason: str, at: int) -> CampaignBlock:
    return CampaignBlock("c", ident, reason, at)


def test_workspace_wins_campaign_applies_alone_and_absent_is_free() -> None:
    blocks = effective_blocks(
        {"both": workspace_block("both", "opted out", 1), "ws": workspace_block("ws", "client", 2)},
        {"both": campaign_block("both", "not now", 3), "camp": campaign_block("camp", "later", 4)},
    )
    assert blocks == {
        "both": ActiveBlock(Scope.WORKSPACE, "opted out", 1),
        "ws": ActiveBlock(Scope.WORKSPACE, "client", 2),
        "camp": ActiveBlock(Scope.CAMPAIGN, "later", 4),
    }
    assert "free" not in blocks


def test_nothing_blocked() -> None:
    assert effective_blocks({}, {}) == {}
