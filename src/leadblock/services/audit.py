"""The audit trail: every block, unblock and reason change, newest first, kept forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.ids import now_ms
from leadblock.domain.records import Caller, Event, EventType
from leadblock.errors import InvalidInput
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.storage import events as store
from leadblock.storage.db import Transaction

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class DayActivity:
    day: date
    blocked: int
    unblocked: int


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[Event]
    total: int
    next_cursor: str | None


def list_events(
    tx: Transaction,
    caller: Caller,
    *,
    limit: int = 100,
    offset: int = 0,
    cursor: str | None = None,
    event_type: str | None = None,
    public_identifier: str | None = None,
) -> EventPage:
    if event_type is not None and event_type not in {t.value for t in EventType}:
        allowed = ", ".join(t.value for t in EventType)
        raise InvalidInput(f"Unknown event type {event_type!r}; use one of {allowed}.")
    if public_identifier is not None:
        try:
            public_identifier = canonicalise_identifier(public_identifier)
        except InvalidIdentifier as error:
            raise InvalidInput(f"publicIdentifier {error}.") from None
    after = position_from_cursor(cursor, True, offset)
    rows = store.page(
        tx,
        caller.workspace,
        event_type=event_type,
        public_identifier=public_identifier,
        limit=limit + 1,
        offset=offset,
        after=after,
    )
    items, next_cursor = cut_page(rows, limit, True, lambda event: (event.seq, event.id))
    total = store.count(tx, caller.workspace, event_type, public_identifier)
    return EventPage(items, total, next_cursor)


def daily_activity(tx: Transaction, caller: Caller, days: int = 90) -> list[DayActivity]:
    """Blocks and unblocks (workspace and campaign) per UTC day, the last `days` days up to
    today, oldest first, days without any included."""
    today = now_ms() // DAY_MS
    first = today - days + 1
    counts = store.per_day(tx, caller.workspace, first * DAY_MS)
    epoch = date(1970, 1, 1)
    return [
        DayActivity(
            day=epoch + timedelta(days=day),
            blocked=counts.get((day, EventType.BLOCKED), 0),
            unblocked=counts.get((day, EventType.UNBLOCKED), 0),
        )
        for day in range(first, today + 1)
    ]
