"""Expiring blocks: the clock's side of "not now".

A block stops applying at its `expires_at` by itself: check, dispatch and confirm compare it
with the instant they run at. Removing it is the sweep's work: every server deletes the
blocks whose expiry has passed, at start and every `SWEEP_EVERY_S` after, and records one
`expired` event (no key) for each block it deleted. The delete names the rows it removed, so
with several servers sweeping at once each block is expired, and recorded, exactly once; the
running count of the workspace's blocks drops in the same transaction. A write that meets a
block that has expired but is not swept yet sweeps its workspace first (`expire_due`), so it
never extends, or reports as already blocked, a block that no longer applies.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from functools import partial

from leadblock.domain.ids import now_ms
from leadblock.domain.records import EventType, Scope
from leadblock.storage import blocked_leads, campaigns, company_blocks, events, workspaces
from leadblock.storage.db import Database, Transaction
from leadblock.storage.group_commit import GroupCommit, drain_forever

logger = logging.getLogger("leadblock")

# A block leaves lists, counts and exports within 60 s of its expiry (a sweep every 10 s, with
# room for a slow one); a batch per transaction keeps writers from waiting behind a sweep.
SWEEP_EVERY_S = 10
SWEEP_BATCH = 1000


def expire_due(tx: Transaction, workspace: int, now: int, limit: int = SWEEP_BATCH) -> int:
    """Delete up to `limit` blocks of each kind whose expiry is at or before `now`, with their
    `expired` events; return how many."""
    leads = blocked_leads.expire(tx, workspace, now, limit)
    events.record(
        tx,
        workspace,
        None,
        EventType.EXPIRED,
        now,
        [(lead.public_identifier, lead.reason, lead.expires_at) for lead in leads],
    )
    by_campaign: dict[str, list[tuple[str, str | None, int | None]]] = defaultdict(list)
    expired_in_campaigns = campaigns.expire_blocks(tx, workspace, now, limit)
    for block in expired_in_campaigns:
        by_campaign[block.campaign_id].append(
            (block.public_identifier, block.reason, block.expires_at)
        )
    for campaign_id, subjects in by_campaign.items():
        events.record(
            tx,
            workspace,
            None,
            EventType.EXPIRED,
            now,
            subjects,
            scope=Scope.CAMPAIGN,
            campaign_id=campaign_id,
        )
    companies = company_blocks.expire(tx, workspace, now, limit)
    events.record_companies(tx, workspace, None, EventType.EXPIRED, now, companies)
    return len(leads) + len(expired_in_campaigns) + len(companies)


def expire_all_due(tx: Transaction, workspace: int, now: int) -> int:
    """Expire every block of the workspace due at `now`, a batch at a time, in `tx`: a write
    that met a block expired but not swept yet, before it blocks afresh."""
    expired = 0
    while (batch := expire_due(tx, workspace, now)) >= SWEEP_BATCH:
        expired += batch
    return expired + batch


def sweep(tx: Transaction, now: int) -> int:
    """Expire a batch of the blocks due at `now` in every workspace that has some; return
    how many (`SWEEP_BATCH` or more: there may be more)."""
    return sum(expire_due(tx, workspace, now) for workspace in workspaces.with_blocks_due(tx, now))


async def sweep_forever(database: Database, group_commit: GroupCommit | None) -> None:
    """Sweep now and every `SWEEP_EVERY_S` for the server's lifetime, a batch per
    transaction."""
    await drain_forever(
        database,
        group_commit,
        lambda: partial(sweep, now=now_ms()),
        SWEEP_BATCH,
        SWEEP_EVERY_S,
        "expire blocks",
    )
