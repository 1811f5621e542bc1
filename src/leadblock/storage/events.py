"""Table gateway of `events`, the append-only audit trail (never updated, never deleted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadblock.domain.ids import first_id_at
from leadblock.domain.records import CompanyBlock, CompanyKind, Event, EventType, Scope, SubjectKind
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

INSERT_EVENTS = query("insert-events")
COUNT_EVENTS = query("count-events")
LIST_EVENTS = query("list-events")
LIST_EVENTS_AFTER = query("list-events-after")
COUNT_EVENTS_PER_DAY = query("count-events-per-day")
NEXT_EVENT_SEQ = query("next-event-seq")
EVENT_HORIZON = query("event-horizon")
LIST_FINAL_EVENTS_AFTER = query("list-final-events-after")
LAST_FINAL_EVENT = query("last-final-event")


def next_seq(tx: Transaction, workspace: int) -> int | None:
    """The `seq` for events recorded next in `tx` (SQLite; PostgreSQL's statements take the
    transaction's id themselves, and this is None)."""
    if tx.dialect != "sqlite":
        return None
    return int(tx.scalar(NEXT_EVENT_SEQ, workspace=workspace))


def record(
    tx: Transaction,
    workspace: int,
    key_id: str | None,
    event_type: EventType,
    at: int,
    subjects: Sequence[tuple[str, str | None]] | Sequence[tuple[str, str | None, int | None]],
    *,
    scope: Scope = Scope.WORKSPACE,
    campaign_id: str | None = None,
    kind: SubjectKind = SubjectKind.LEAD,
) -> None:
    """Append one event per (subject, reason[, expires_at]), all at the same instant; `key_id`
    is the key that acted (None: the CLI, or the clock for an expiry)."""
    if not subjects:
        return
    ids = tx.increasing_ids(len(subjects), at)
    tx.execute(
        INSERT_EVENTS,
        workspace=workspace,
        seq=next_seq(tx, workspace),
        type=event_type.value,
        at=at,
        key_id=key_id,
        scope=scope.value,
        campaign_id=campaign_id,
        subject_kind=kind.value,
        rows=tx.table([(id_, *subject) for id_, subject in zip(ids, subjects, strict=True)]),
    )


def record_companies(
    tx: Transaction,
    workspace: int,
    key_id: str | None,
    event_type: EventType,
    at: int,
    blocks: Sequence[CompanyBlock],
) -> None:
    """One event per company block, scope `company`, subject its value (a statement a kind)."""
    for kind in CompanyKind:
        record(
            tx,
            workspace,
            key_id,
            event_type,
            at,
            [(b.value, b.reason, b.expires_at) for b in blocks if b.kind == kind],
            scope=Scope.COMPANY,
            kind=SubjectKind(kind.value),
        )


def count(
    tx: Transaction, workspace: int, event_type: str | None, public_identifier: str | None
) -> int:
    return int(
        tx.scalar(
            COUNT_EVENTS,
            workspace=workspace,
            type=event_type,
            public_identifier=public_identifier,
        )
    )


def page(
    tx: Transaction,
    workspace: int,
    *,
    event_type: str | None,
    public_identifier: str | None,
    limit: int,
    offset: int,
    after: tuple[int, str] | None,
) -> list[Event]:
    params: dict[str, Any] = {
        "workspace": workspace,
        "type": event_type,
        "public_identifier": public_identifier,
        "limit": limit,
    }
    if after is None:
        rows = tx.rows(LIST_EVENTS, offset=offset, **params)
    else:
        rows = tx.rows(LIST_EVENTS_AFTER, after_seq=after[0], after_id=after[1], **params)
    return [_event(row) for row in rows]


def _event(row: Any) -> Event:
    return Event(
        seq=row.seq,
        id=row.id,
        type=EventType(row.type),
        at=row.at,
        key_id=row.key_id,
        subject_kind=SubjectKind(row.subject_kind),
        subject=row.subject,
        reason=row.reason,
        expires_at=row.expires_at,
        scope=Scope(row.scope),
        campaign_id=row.campaign_id,
    )


def per_day(tx: Transaction, workspace: int, since: int) -> dict[tuple[int, EventType], int]:
    """Blocks and unblocks (expiries count as unblocks) per (UTC day number, type) since
    `since` (milliseconds)."""
    rows = tx.rows(COUNT_EVENTS_PER_DAY, workspace=workspace, since_id=first_id_at(since))
    return {(int(row.day), EventType(row.type)): int(row.events) for row in rows}


def last_final(tx: Transaction, workspace: int) -> tuple[int, str]:
    """The (seq, id) of the workspace's last final event, or (0, "") before the first: every
    event recorded from now on comes after it."""
    horizon = int(tx.scalar(EVENT_HORIZON, workspace=workspace))
    row = tx.one(LAST_FINAL_EVENT, workspace=workspace, horizon=horizon)
    return (int(row.seq), row.id) if row else (0, "")


def final_after(tx: Transaction, workspace: int, after: tuple[int, str], limit: int) -> list[Event]:
    """Up to `limit` events after the (seq, id) position `after`, in the trail's order, that
    are final: no transaction still running, nor any to come, can record an event before them.
    Read in order from (0, ""), they are every event, each once, never one after another that
    follows it."""
    horizon = int(tx.scalar(EVENT_HORIZON, workspace=workspace))
    rows = tx.rows(
        LIST_FINAL_EVENTS_AFTER,
        workspace=workspace,
        after_seq=after[0],
        after_id=after[1],
        horizon=horizon,
        limit=limit,
    )
    return [_event(row) for row in rows]
