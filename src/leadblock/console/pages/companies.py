"""Company blocks: search as you type, add by pasting LinkedIn company pages and domains,
remove; each block shows how many enrolled leads it stops right now."""

from __future__ import annotations

from typing import Annotated, Any

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
from leadblock.services import company_blocks
from leadblock.services.blocklist import reason_of_request
from leadblock.services.company_blocks import RawCompany
from leadblock.storage.db import Database, Transaction

router = new_router()
PAGE_SIZE = 50


@router.get("/companies")
def companies_page(
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
            results = _results(tx, visitor, search, cursor)
        return render(request, "companies_results.html", visitor, **results)
    notice = None
    if positive_int(removed):
        notice = "The company block was removed."
    elif positive_int(blocked) or positive_int(already):
        notice = f"{positive_int(blocked):,} blocked, {positive_int(already):,} already blocked."
    return _companies(request, visitor, database, search, cursor, notice=notice)


def raw_company(value: str) -> RawCompany:
    """A pasted line as a company: a LinkedIn company URL, a domain (anything with a dot or an
    `@`), or else a bare LinkedIn company slug."""
    if "linkedin.com" in value.lower() or ("." not in value and "@" not in value):
        return RawCompany(linkedin_company=value)
    return RawCompany(domain=value)


@router.post("/companies/add")
def add_companies(
    request: Request,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    companies: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    duration: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
) -> Response:
    lines = pasted_lines(companies)
    try:
        with database.transaction(write=True) as tx:
            normalised = reason_of_request(reason)
            expires_at = expiry_choice(duration, until, now_ms())
            if not lines:
                raise InvalidInput("Enter at least one LinkedIn company or domain.")
            outcome = company_blocks.block_companies(
                tx,
                visitor.caller,
                [
                    raw_company(value)._replace(reason=normalised, expires_at=expires_at)
                    for _, value in lines
                ],
            )
    except InvalidInput as error:
        return _companies(
            request,
            visitor,
            database,
            status_code=400,
            add_error=error.message,
            add_line_errors=line_errors(error, lines),
            add_companies=companies,
            add_reason=reason,
            add_duration=duration,
            add_until=until,
        )
    return see_other(
        f"{PREFIX}/companies?blocked={outcome.blocked}&already={outcome.already_blocked}"
    )


@router.post("/companies/{block_id}/remove")
def remove_company(block_id: str, visitor: PostVisitorDep, database: DatabaseDep) -> Response:
    with database.transaction(write=True) as tx:
        company_blocks.unblock_company(tx, visitor.caller, block_id)
    return see_other(f"{PREFIX}/companies?removed=1")


def _companies(
    request: Request,
    visitor: Visitor,
    database: Database,
    search: str = "",
    cursor: str | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    with database.transaction() as tx:
        results = _results(tx, visitor, search, cursor)
    return render(request, "companies.html", visitor, status_code=status_code, **results, **context)


def _results(tx: Transaction, visitor: Visitor, search: str, cursor: str | None) -> dict[str, Any]:
    page = company_blocks.list_company_blocks(
        tx, visitor.caller, limit=PAGE_SIZE, search=search or None, cursor=cursor or None
    )
    stopped = company_blocks.leads_stopped(tx, visitor.caller, page.items)
    return {"page": page, "stopped": stopped, "search": search, "cursor": cursor}
