"""The audit timeline, filtered by identifier and event type."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from leadblock.console.web import DatabaseDep, VisitorDep, new_router, render
from leadblock.domain.records import EventType
from leadblock.services import audit

router = new_router()
PAGE_SIZE = 50


@router.get("/audit")
def audit_page(
    request: Request,
    visitor: VisitorDep,
    database: DatabaseDep,
    identifier: str = "",
    type: str = "",
    cursor: str | None = None,
) -> Response:
    with database.transaction() as tx:
        page = audit.list_events(
            tx,
            visitor.caller,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            event_type=type or None,
            public_identifier=identifier.strip() or None,
        )
    return render(
        request,
        "audit.html",
        visitor,
        page=page,
        identifier=identifier,
        type=type,
        types=[event_type.value for event_type in EventType],
    )
