"""Precedence: a workspace block always wins over a company block, which wins over a campaign
block; a block whose expiry has come is not in force."""

from __future__ import annotations

from leadblock.domain.blocking import ActiveBlock, effective_blocks
from leadblock.domain.records import (
    BlockedLead,
    CampaignBlock,
    CompanyBlock,
    CompanyKind,
    Scope,
)

NOW = 1_000


def workspace_block(ident: str, reason: str, at: int, expires_at: int | None = None) -> BlockedLead:
    return BlockedLead("id-" + ident, ident, reason, at, expires_at)


def campaign_block(
    ident: str, reason: str, at: int, expires_at: int | None = None
) -> CampaignBlock:
    return CampaignBlock("c", ident, reason, at, expires_at)


def company_block(
    block_id: str, domain: str, reason: str, at: int, expires_at: int | None = None
) -> CompanyBlock:
    return CompanyBlock(block_id, CompanyKind.DOMAIN, domain, None, reason, at, expires_at)


def test_workspace_wins_campaign_applies_alone_and_absent_is_free() -> None:
    blocks = effective_blocks(
        {"both": workspace_block("both", "opted out", 1), "ws": workspace_block("ws", "client", 2)},
        {"both": campaign_block("both", "not now", 3), "camp": campaign_block("camp", "later", 4)},
        NOW,
    )
    assert blocks == {
        "both": ActiveBlock(Scope.WORKSPACE, "opted out", 1),
        "ws": ActiveBlock(Scope.WORKSPACE, "client", 2),
        "camp": ActiveBlock(Scope.CAMPAIGN, "later", 4),
    }
    assert "free" not in blocks


def test_nothing_blocked() -> None:
    assert effective_blocks({}, {}, NOW) == {}
    assert effective_blocks({}, {}, NOW, {}) == {}


def test_an_expired_block_is_not_in_force_and_one_ending_later_is() -> None:
    blocks = effective_blocks(
        {
            "ws-ended": workspace_block("ws-ended", "over", 1, NOW - 1),
            "ws-ends-now": workspace_block("ws-ends-now", "over now", 2, NOW),
            "ws-later": workspace_block("ws-later", "still", 3, NOW + 1),
            # An expired workspace block no longer hides the campaign block under it.
            "under": workspace_block("under", "gone", 4, NOW),
        },
        {
            "camp-ended": campaign_block("camp-ended", "over", 5, NOW),
            "camp-later": campaign_block("camp-later", "still", 6, NOW + 60_000),
            "under": campaign_block("under", "campaign", 7, None),
        },
        NOW,
        {
            "co-ended": company_block("b1", "ended.com", "over", 8, NOW),
            "co-later": company_block("b2", "later.com", "still", 9, NOW + 1),
        },
    )
    assert blocks == {
        "ws-later": ActiveBlock(Scope.WORKSPACE, "still", 3, NOW + 1),
        "camp-later": ActiveBlock(Scope.CAMPAIGN, "still", 6, NOW + 60_000),
        "under": ActiveBlock(Scope.CAMPAIGN, "campaign", 7, None),
        "co-later": ActiveBlock(Scope.COMPANY, "still", 9, NOW + 1, "b2"),
    }
    # The same blocks one millisecond earlier: only those already ended before then are gone.
    earlier = effective_blocks(
        {"ws-ends-now": workspace_block("ws-ends-now", "over now", 2, NOW)},
        {},
        NOW - 1,
        {"co-ended": company_block("b1", "ended.com", "over", 8, NOW)},
    )
    assert earlier == {
        "ws-ends-now": ActiveBlock(Scope.WORKSPACE, "over now", 2, NOW),
        "co-ended": ActiveBlock(Scope.COMPANY, "over", 8, NOW, "b1"),
    }


def test_company_wins_over_campaign_and_workspace_over_company() -> None:
    blocks = effective_blocks(
        {"all": workspace_block("all", "opted out", 1)},
        {"all": campaign_block("all", "not now", 2), "co": campaign_block("co", "later", 3)},
        NOW,
        {
            "all": company_block("b1", "acme.com", "client", 4),
            "co": company_block("b1", "acme.com", "client", 4),
        },
    )
    assert blocks == {
        "all": ActiveBlock(Scope.WORKSPACE, "opted out", 1),
        "co": ActiveBlock(Scope.COMPANY, "client", 4, None, "b1"),
    }
