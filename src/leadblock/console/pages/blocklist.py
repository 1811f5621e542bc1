"""The blocklist: search as you type, cursor paging, add or paste many, edit, remove, and the
chart of blocks and unblocks per day."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from starlette.responses import Response

from leadblock.console.forms import expiry_choice, line_errors, pasted_lines, positive_int
from leadblock.console.web import (
    PREFIX,
    DatabaseDep,
    PostVisitorDep,
    Visitor,
    VisitorDep,
    new_router,
    render,
    see_other,
)
from leadblock.domain.ids import now_ms
from leadblock.errors import InvalidInput
from leadblock.services import audit, blocklist
from leadblock.storage.db import Database, Transaction

router = new_router()
PAGE_SIZE = 50


@router.get("", include_in_schema=False)
def home() -> Response:
    return see_other(f"{PREFIX}/blocklist")


@router.get("/blocklist")
def blocklist_page(
    request: Request,
    visitor: VisitorDep,
    database: DatabaseDep,
    search: str = "",
    cursor: str | None = None,
    blocked: str | None = None,
    already: str | None = None,
    removed: str | None = None,
) -> Response:
    if request.headers.get("hx-request"):  # search as you type replaces the results only
        with database.transaction() as tx:
            page = _page(tx, visitor, search, cursor)
        return render(
            request, "blocklist_results.html", visitor, page=page, search=search, cursor=cursor
        )
    notice = _notice(positive_int(blocked), positive_int(already), positive_int(removed))
    return _blocklist(request, visitor, database, search, cursor, notice=notice)


@router.post("/blocklist/add")
def add_leads(
    request: Request,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    identifiers: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    duration: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
) -> Response:
    lines = pasted_lines(identifiers)
    try:
        with database.transaction(write=True) as tx:
            normalised = blocklist.reason_of_request(reason)
            expires_at = expiry_choice(duration, until, now_ms())
            if not lines:
                raise InvalidInput("Enter at least one identifier or profile URL.")
            outcome = blocklist.block_leads(
                tx, visitor.caller, [(value, normalised, expires_at) for _, value in lines]
            )
    except InvalidInput as error:
        return _blocklist(
            request,
            visitor,
            database,
            status_code=400,
            add_error=error.message,
            add_line_errors=line_errors(error, lines),
            add_identifiers=identifiers,
            add_reason=reason,
            add_duration=duration,
            add_until=until,
        )
    return see_other(
        f"{PREFIX}/blocklist?blocked={outcome.blocked}&already={outcome.already_blocked}"
    )


@router.get("/blocklist/{lead_id}")
def lead_page(
    request: Request,
    lead_id: str,
    visitor: VisitorDep,
    database: DatabaseDep,
    saved: str | None = None,
) -> Response:
    with database.transaction() as tx:
        lead = blocklist.get_blocked_lead(tx, visitor.caller, lead_id)
    return render(request, "lead.html", visitor, lead=lead, saved=bool(saved))


@router.post("/blocklist/{lead_id}/reason")
def edit_reason(
    lead_id: str,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    with database.transaction(write=True) as tx:
        blocklist.update_blocked_lead(tx, visitor.caller, lead_id, reason=reason)
    return see_other(f"{PREFIX}/blocklist/{quote(lead_id)}?saved=1")


@router.post("/blocklist/{lead_id}/remove")
def remove_lead(lead_id: str, visitor: PostVisitorDep, database: DatabaseDep) -> Response:
    with database.transaction(write=True) as tx:
        blocklist.unblock_one(tx, visitor.caller, lead_id)
    return see_other(f"{PREFIX}/blocklist?removed=1")


def _blocklist(
    request: Request,
    visitor: Visitor,
    database: Database,
    search: str = "",
    cursor: str | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The whole blocklist page: a page of results, the chart, and what `context` adds."""
    with database.transaction() as tx:
        page = _page(tx, visitor, search, cursor)
        activity = audit.daily_activity(tx, visitor.caller)
    return render(
        request,
        "blocklist.html",
        visitor,
        status_code=status_code,
        page=page,
        activity=activity,
        search=search,
        cursor=cursor,
        **context,
    )


def _page(tx: Transaction, visitor: Visitor, search: str, cursor: str | None) -> blocklist.Page:
    return blocklist.list_blocked_leads(
        tx, visitor.caller, limit=PAGE_SIZE, search=search or None, cursor=cursor or None
    )


def _notice(blocked: int, already: int, removed: int) -> str | None:
    if removed:
        return "The lead was removed from the blocklist."
    if blocked or already:
        return f"{blocked:,} blocked, {already:,} already on the blocklist."
    return None
