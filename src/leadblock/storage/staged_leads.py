"""Table gateway of `staged_leads` and `sorted_leads`: the rows of one import, in temporary
tables of the connection that `Database.pinned` keeps for the import (created, filled, sorted,
published by `blocked_leads.insert_staged`, dropped)."""

from __future__ import annotations

from collections.abc import Sequence

from leadblock.domain.ids import id_series
from leadblock.storage import events
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

CREATE_STAGED_LEADS = query("create-staged-leads")
STAGE_LEADS = query("stage-leads")
SORT_STAGED_LEADS = query("sort-staged-leads")
COUNT_SORTED_LEADS = query("count-sorted-leads")
DROP_STAGED_LEADS = query("drop-staged-leads")
DROP_SORTED_LEADS = query("drop-sorted-leads")
COUNT_STAGED_NOT_BLOCKED = query("count-staged-not-blocked")
EXTEND_STAGED_BLOCKED_LEADS = query("extend-staged-blocked-leads")
RECORD_STAGED_EXTENSIONS = query("record-staged-extensions")
COUNT_STAGED_EXTENDED = query("count-staged-extended")

# (public_identifier, position in the file, reason, reason.lower(), expires_at)
StagedLead = tuple[str, int, str | None, str | None, int | None]


def create(tx: Transaction) -> None:
    drop(tx)  # left over by an import whose connection failed mid-way
    tx.execute(CREATE_STAGED_LEADS)


def add(tx: Transaction, rows: Sequence[StagedLead]) -> None:
    tx.load(STAGE_LEADS, rows)


def sort(tx: Transaction) -> int:
    """De-duplicate (the first occurrence wins) and sort what was staged into `sorted_leads`,
    which `blocked_leads.insert_staged` publishes; return the number of distinct leads."""
    tx.execute(SORT_STAGED_LEADS)
    return int(tx.scalar(COUNT_SORTED_LEADS))


def drop(tx: Transaction) -> None:
    tx.execute(DROP_STAGED_LEADS)
    tx.execute(DROP_SORTED_LEADS)


def count_not_blocked(tx: Transaction, workspace: int, now: int) -> int:
    """How many sorted leads publishing would block (a dry run's answer)."""
    return int(tx.scalar(COUNT_STAGED_NOT_BLOCKED, workspace=workspace, now=now))


def extend(tx: Transaction, workspace: int, key_id: str | None, at: int) -> int:
    """Move the expiry of the workspace's blocks of sorted leads to the import's, where that is
    later, each with its `expiry_changed` event (by `key_id`, at `at`); return how many moved."""
    recorded = id_series(at)
    params = {
        "workspace": workspace,
        "seq": events.next_seq(tx, workspace),
        "event_high": recorded.high,
        "event_low": recorded.low,
        "at": at,
        "key_id": key_id,
    }
    tx.execute(RECORD_STAGED_EXTENSIONS, **params)
    return tx.execute(
        EXTEND_STAGED_BLOCKED_LEADS,
        workspace=workspace,
        event_high=recorded.high,
        event_low=recorded.low,
    )


def count_extended(tx: Transaction, workspace: int, now: int) -> int:
    """How many blocks `extend` would move (a dry run's answer)."""
    return int(tx.scalar(COUNT_STAGED_EXTENDED, workspace=workspace, now=now))
