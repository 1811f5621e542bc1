"""Company blocks: a LinkedIn company or an internet domain that no campaign of the workspace
may message anyone of.

A lead matches a company block when one of its company keys (`domain.companies.company_keys`:
its LinkedIn company, its company domain, its e-mail's domain, and their parent domains) is the
block's (kind, value). Writes are all or nothing and idempotent, as for leads: an already
blocked company keeps its record and its expiry only ever moves later. Every change is an
audit event with scope `company`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from leadblock.domain.blocking import in_force
from leadblock.domain.companies import (
    InvalidCompany,
    canonicalise_domain,
    canonicalise_linkedin_company,
)
from leadblock.domain.ids import is_record_id, new_ids, now_ms
from leadblock.domain.labels import InvalidLabel, normalise_label
from leadblock.domain.reasons import InvalidReason, normalise_reason
from leadblock.domain.records import (
    Caller,
    CompanyBlock,
    CompanyKind,
    EventType,
)
from leadblock.domain.timestamps import InvalidExpiry
from leadblock.errors import InvalidInput, ItemError, NotFound
from leadblock.services import expiry
from leadblock.services.blocklist import (
    MAX_LEADS_PER_REQUEST,
    UNCHANGED,
    CompanyKey,
    Unchanged,
    count_message,
    expiry_of,
    expiry_of_request,
    like_pattern,
    reason_of_request,
    require_writer,
)
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.storage import company_blocks as store
from leadblock.storage import events
from leadblock.storage.db import Transaction

MAX_COMPANIES_PER_REQUEST = MAX_LEADS_PER_REQUEST


class RawCompany(NamedTuple):
    """One company of a request, as sent: exactly one of `linkedin_company` and `domain`."""

    linkedin_company: str | None = None
    domain: str | None = None
    name: str | None = None
    reason: str | None = None
    expires_at: str | None = None


@dataclass(frozen=True, slots=True)
class CompanyBlockOutcome:
    blocked: int
    already_blocked: int
    extended: int
    duplicates: int
    companies: list[CompanyBlock]  # one per distinct company of the request, in its order
    new: frozenset[str] = frozenset()  # ids of the records this request created


@dataclass(frozen=True, slots=True)
class CompanyBlockPage:
    items: list[CompanyBlock]
    total: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CompanyUnblockOutcome:
    unblocked: int
    not_found: list[str]


def canonical_key(raw: RawCompany) -> CompanyKey:
    """The (kind, canonical value) a request's entry names; `InvalidCompany` says why not."""
    if (raw.linkedin_company is None) == (raw.domain is None):
        raise InvalidCompany("give exactly one of linkedinCompany and domain")
    if raw.linkedin_company is not None:
        try:
            return CompanyKind.LINKEDIN_COMPANY, canonicalise_linkedin_company(raw.linkedin_company)
        except InvalidCompany as error:
            raise InvalidCompany(f"linkedinCompany {error}") from None
    assert raw.domain is not None
    try:
        return CompanyKind.DOMAIN, canonicalise_domain(raw.domain)
    except InvalidCompany as error:
        raise InvalidCompany(f"domain {error}") from None


def canonicalise_companies(
    raw: Sequence[RawCompany], now: int, *, limit: int = MAX_COMPANIES_PER_REQUEST
) -> tuple[list[CompanyBlock], int]:
    """Canonical, de-duplicated companies in request order (records without id or creation
    time yet), and how many duplicates were dropped; `InvalidInput` lists every bad entry. The
    first occurrence of a company wins."""
    if len(raw) > limit:
        raise InvalidInput(f"At most {limit:,} companies per request.")
    errors: list[ItemError] = []
    companies: dict[CompanyKey, CompanyBlock] = {}
    for index, entry in enumerate(raw):
        shown = entry.linkedin_company if entry.linkedin_company is not None else entry.domain
        try:
            kind, value = canonical_key(entry)
            name = _name(entry.name)
            reason = normalise_reason(entry.reason)
            expires_at = expiry_of(entry.expires_at, now)
        except (InvalidCompany, InvalidLabel, InvalidReason, InvalidExpiry) as error:
            errors.append(ItemError(index, shown, str(error)))
            continue
        companies.setdefault(
            (kind, value), CompanyBlock("", kind, value, name, reason, 0, expires_at)
        )
    if errors:
        raise InvalidInput(
            count_message(len(errors), "invalid company", "invalid companies"), errors
        )
    return list(companies.values()), len(raw) - len(companies)


def _name(name: str | None) -> str | None:
    """A company's display name: optional; when given, a name as campaigns' are."""
    if name is None or not name.strip():
        return None
    return normalise_label(name, "name")


def block_companies(
    tx: Transaction, caller: Caller, raw: Sequence[RawCompany]
) -> CompanyBlockOutcome:
    require_writer(caller)
    at = now_ms()
    companies, duplicates = canonicalise_companies(raw, at)
    if not companies:
        raise InvalidInput("Send at least one company.")
    return insert_companies(tx, caller, companies, duplicates, at)


def insert_companies(
    tx: Transaction,
    caller: Caller,
    companies: Sequence[CompanyBlock],
    duplicates: int,
    at: int,
) -> CompanyBlockOutcome:
    """Block canonical companies. An already-blocked company keeps its record, and its
    expiry becomes the later of the two; one whose block has expired, not swept yet, is
    blocked afresh."""
    workspace = caller.workspace
    fresh = [
        company._replace(id=id_, created_at=at)
        for id_, company in zip(new_ids(len(companies), at), companies, strict=True)
    ]
    inserted = store.insert_missing(tx, workspace, fresh, at)
    existing = store.find_by_keys(tx, workspace, [_key(c) for c in fresh if c.id not in inserted])
    if any(not in_force(block.expires_at, at) for block in existing.values()):
        expiry.expire_all_due(tx, workspace, at)
        lapsed = [c for c in fresh if c.id not in inserted and _key(c) in existing]
        inserted |= store.insert_missing(tx, workspace, lapsed, at)
        existing = store.find_by_keys(
            tx, workspace, [_key(c) for c in fresh if c.id not in inserted]
        )
    extended = store.extend(
        tx,
        workspace,
        [
            (block.id, company.expires_at)
            for company in fresh
            if (block := existing.get(_key(company))) is not None
            and block.expires_at is not None
            and (company.expires_at is None or company.expires_at > block.expires_at)
        ],
    )
    records: list[CompanyBlock] = []
    for company in fresh:
        if company.id in inserted:
            records.append(company)
        elif (block := existing.get(_key(company))) is not None:
            records.append(
                block._replace(expires_at=extended[block.id]) if block.id in extended else block
            )
    events.record_companies(
        tx,
        caller.workspace,
        caller.key_id,
        EventType.BLOCKED,
        at,
        [c for c in fresh if c.id in inserted],
    )
    events.record_companies(
        tx,
        caller.workspace,
        caller.key_id,
        EventType.EXPIRY_CHANGED,
        at,
        [block for block in records if block.id in extended],
    )
    return CompanyBlockOutcome(
        blocked=len(inserted),
        already_blocked=len(fresh) - len(inserted),
        extended=len(extended),
        duplicates=duplicates,
        companies=records,
        new=frozenset(inserted),
    )


def get_company_block(tx: Transaction, caller: Caller, block_id: str) -> CompanyBlock:
    """The block of `block_id`; not found once it has expired, swept or not."""
    block = store.find(tx, caller.workspace, block_id) if is_record_id(block_id) else None
    if block is None or not in_force(block.expires_at, now_ms()):
        raise NotFound("Company block not found.")
    return block


def list_company_blocks(
    tx: Transaction,
    caller: Caller,
    *,
    limit: int = 100,
    offset: int = 0,
    cursor: str | None = None,
    search: str | None = None,
) -> CompanyBlockPage:
    """Newest first; `search` is a case-insensitive substring of value, name or reason."""
    after = position_from_cursor(cursor, True, offset)
    pattern = like_pattern(search)
    rows = store.page(
        tx, caller.workspace, pattern=pattern, limit=limit + 1, offset=offset, after=after
    )
    items, next_cursor = cut_page(rows, limit, True, lambda b: (b.created_at, b.id))
    return CompanyBlockPage(items, store.count(tx, caller.workspace, pattern), next_cursor)


def update_company_block(
    tx: Transaction,
    caller: Caller,
    block_id: str,
    *,
    name: str | Unchanged | None = UNCHANGED,
    reason: str | Unchanged | None = UNCHANGED,
    expires_at: str | Unchanged | None = UNCHANGED,
) -> CompanyBlock:
    """Set the name, reason and/or expiry of a company block, exactly as given (an explicit
    edit may shorten it; None clears). A field not given stays as it is."""
    require_writer(caller)
    at = now_ms()
    try:
        new_name = name if isinstance(name, Unchanged) else _name(name)
    except InvalidLabel as error:
        raise InvalidInput(f"{error}.", [ItemError(-1, name, f"{error}.")]) from None
    new_reason = reason if isinstance(reason, Unchanged) else reason_of_request(reason)
    new_expiry = (
        expires_at if isinstance(expires_at, Unchanged) else expiry_of_request(expires_at, at)
    )
    block = get_company_block(tx, caller, block_id)
    updated = block._replace(
        name=block.name if isinstance(new_name, Unchanged) else new_name,
        reason=block.reason if isinstance(new_reason, Unchanged) else new_reason,
        expires_at=block.expires_at if isinstance(new_expiry, Unchanged) else new_expiry,
    )
    if updated == block:
        return block
    store.update(tx, caller.workspace, updated)
    if updated.reason != block.reason:
        events.record_companies(
            tx, caller.workspace, caller.key_id, EventType.REASON_CHANGED, at, [updated]
        )
    if updated.expires_at != block.expires_at:
        events.record_companies(
            tx, caller.workspace, caller.key_id, EventType.EXPIRY_CHANGED, at, [updated]
        )
    return updated


def unblock_companies(
    tx: Transaction,
    caller: Caller,
    ids: Sequence[str],
    linkedin_companies: Sequence[str],
    domains: Sequence[str],
) -> CompanyUnblockOutcome:
    """Remove company blocks by record id and/or company; unknown ones are reported in
    `not_found` (ids as sent, companies canonical). An invalid company is a 400."""
    require_writer(caller)
    raw = [RawCompany(linkedin_company=value) for value in linkedin_companies]
    raw += [RawCompany(domain=value) for value in domains]
    if len(ids) + len(raw) > MAX_COMPANIES_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_COMPANIES_PER_REQUEST:,} ids and companies per request.")
    errors: list[ItemError] = []
    keys: dict[CompanyKey, None] = {}
    for index, entry in enumerate(raw):
        try:
            keys[canonical_key(entry)] = None
        except InvalidCompany as error:
            errors.append(ItemError(index, entry.linkedin_company or entry.domain, str(error)))
    if errors:
        raise InvalidInput(
            count_message(len(errors), "invalid company", "invalid companies"), errors
        )
    unique_ids = list(dict.fromkeys(ids))
    workspace = caller.workspace
    removed = store.delete_by_ids(tx, workspace, [i for i in unique_ids if is_record_id(i)])
    removed_ids = {block.id for block in removed}
    removed_keys = {_key(block) for block in removed}
    by_key = store.delete_by_keys(tx, workspace, [k for k in keys if k not in removed_keys])
    removed += by_key
    removed_keys |= {_key(block) for block in by_key}
    at = now_ms()
    lapsed = [block for block in removed if not in_force(block.expires_at, at)]
    live = [block for block in removed if in_force(block.expires_at, at)]
    events.record_companies(tx, workspace, None, EventType.EXPIRED, at, lapsed)
    events.record_companies(tx, workspace, caller.key_id, EventType.UNBLOCKED, at, live)
    lapsed_ids = {block.id for block in lapsed}
    found_keys = removed_keys - {_key(block) for block in lapsed}
    return CompanyUnblockOutcome(
        unblocked=len(live),
        not_found=[i for i in unique_ids if i not in removed_ids or i in lapsed_ids]
        + [value for kind, value in keys if (kind, value) not in found_keys],
    )


def unblock_company(tx: Transaction, caller: Caller, block_id: str) -> None:
    if unblock_companies(tx, caller, [block_id], [], []).not_found:
        raise NotFound("Company block not found.")


def leads_stopped(
    tx: Transaction, caller: Caller, blocks: Sequence[CompanyBlock]
) -> dict[str, int]:
    """How many enrolled leads, not dispatched yet, each block stops right now (by id)."""
    counts = store.leads_stopped(tx, caller.workspace, [_key(block) for block in blocks])
    return {block.id: counts.get(_key(block), 0) for block in blocks}


def _key(block: CompanyBlock) -> CompanyKey:
    return block.kind, block.value
