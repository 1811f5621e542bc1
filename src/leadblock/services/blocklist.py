"""The workspace blocklist: block, look up, check, change and unblock leads.

Writes are all or nothing: every input is canonicalised and validated before the first
statement runs, and a request with any bad entry raises `InvalidInput` listing each of them.
Every change appends to the audit trail in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from leadblock.domain.blocking import ActiveBlock, effective_blocks
from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.ids import is_record_id, new_ids, now_ms
from leadblock.domain.reasons import InvalidReason, normalise_reason
from leadblock.domain.records import BlockedLead, Caller, EventType, LeadInput, Scope
from leadblock.errors import Forbidden, InvalidInput, ItemError, NotFound
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.storage import blocked_leads as store
from leadblock.storage import campaigns, events
from leadblock.storage.db import Transaction

MAX_LEADS_PER_REQUEST = 10_000
Sort = Literal["ASC", "DESC"]


@dataclass(frozen=True, slots=True)
class BlockOutcome:
    blocked: int
    already_blocked: int
    duplicates: int
    leads: list[BlockedLead]
    new: frozenset[str] = frozenset()  # ids of the records this request created


@dataclass(frozen=True, slots=True)
class Page:
    items: list[BlockedLead]
    total: int
    next_cursor: str | None


class CheckResult(NamedTuple):
    input: str
    public_identifier: str | None
    blocked: bool | None
    scope: Scope | None
    reason: str | None
    blocked_at: int | None
    error: str | None = None

    @property
    def contactable(self) -> bool:
        """Valid and blocked by nothing at this moment: the only answer that clears a send."""
        return self.error is None and self.blocked is False


@dataclass(frozen=True, slots=True)
class UnblockOutcome:
    unblocked: int
    not_found: list[str]


def require_writer(caller: Caller) -> None:
    if caller.read_only:
        raise Forbidden("This API key is read-only.")


def canonicalise_leads(raw: Sequence[tuple[str, str | None]]) -> tuple[list[LeadInput], int]:
    """Canonical, de-duplicated leads in request order, and how many duplicates were dropped.

    Raises `InvalidInput` listing every bad entry. The first occurrence of a lead wins.
    """
    if len(raw) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} leads per request.")
    errors: list[ItemError] = []
    leads: dict[str, LeadInput] = {}
    for index, (identifier, reason) in enumerate(raw):
        try:
            canonical = canonicalise_identifier(identifier)
            normalised = normalise_reason(reason)
        except InvalidIdentifier as error:
            errors.append(ItemError(index, identifier, f"publicIdentifier {error}"))
            continue
        except InvalidReason as error:
            errors.append(ItemError(index, identifier, str(error)))
            continue
        leads.setdefault(canonical, LeadInput(canonical, normalised))
    if errors:
        raise InvalidInput(count_message(len(errors), "invalid lead"), errors)
    return list(leads.values()), len(raw) - len(leads)


def reason_of_request(reason: str | None) -> str | None:
    """The one reason of a request, normalised, or `InvalidInput` saying what is wrong."""
    try:
        return normalise_reason(reason)
    except InvalidReason as error:
        why = str(error)
        raise InvalidInput(why[:1].upper() + why[1:] + ".") from None


def canonicalise_identifiers(raw: Sequence[str]) -> list[str]:
    """Canonical identifiers, de-duplicated in order; `InvalidInput` lists every bad one."""
    if len(raw) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} identifiers per request.")
    errors: list[ItemError] = []
    canonical: dict[str, None] = {}
    for index, value in enumerate(raw):
        try:
            canonical[canonicalise_identifier(value)] = None
        except InvalidIdentifier as error:
            errors.append(ItemError(index, value, f"publicIdentifier {error}"))
    if errors:
        raise InvalidInput(count_message(len(errors), "invalid identifier"), errors)
    return list(canonical)


def block_leads(
    tx: Transaction, caller: Caller, raw: Sequence[tuple[str, str | None]]
) -> BlockOutcome:
    require_writer(caller)
    leads, duplicates = canonicalise_leads(raw)
    if not leads:
        raise InvalidInput("Send at least one lead.")
    return insert_leads(tx, caller, leads, duplicates)


def insert_leads(
    tx: Transaction, caller: Caller, leads: Sequence[LeadInput], duplicates: int = 0
) -> BlockOutcome:
    """Block canonical leads; an already-blocked lead keeps its original record."""
    at = now_ms()
    ids = new_ids(len(leads), at)
    rows = [
        (id_, lead.public_identifier, lead.reason) for id_, lead in zip(ids, leads, strict=True)
    ]
    inserted = store.insert_missing(tx, caller.workspace, rows, at)
    existing = store.find_by_identifiers(
        tx,
        caller.workspace,
        [lead.public_identifier for lead in leads if lead.public_identifier not in inserted],
    )
    records: list[BlockedLead] = []
    for id_, lead in zip(ids, leads, strict=True):
        if lead.public_identifier in inserted:
            records.append(BlockedLead(id_, lead.public_identifier, lead.reason, at))
        elif lead.public_identifier in existing:
            records.append(existing[lead.public_identifier])
    events.record(
        tx,
        caller,
        EventType.BLOCKED,
        at,
        [
            (lead.public_identifier, lead.reason)
            for lead in leads
            if lead.public_identifier in inserted
        ],
    )
    return BlockOutcome(
        blocked=len(inserted),
        already_blocked=len(leads) - len(inserted),
        duplicates=duplicates,
        leads=records,
        new=frozenset(
            id_ for id_, lead in zip(ids, leads, strict=True) if lead.public_identifier in inserted
        ),
    )


def get_blocked_lead(tx: Transaction, caller: Caller, lead_id: str) -> BlockedLead:
    lead = store.find(tx, caller.workspace, lead_id) if is_record_id(lead_id) else None
    if lead is None:
        raise NotFound("Blocked lead not found.")
    return lead


def list_blocked_leads(
    tx: Transaction,
    caller: Caller,
    *,
    sort: Sort = "DESC",
    offset: int = 0,
    limit: int = 100,
    search: str | None = None,
    cursor: str | None = None,
) -> Page:
    descending = sort == "DESC"
    after = position_from_cursor(cursor, descending, offset)
    pattern = like_pattern(search)
    rows = store.page(
        tx,
        caller.workspace,
        descending=descending,
        pattern=pattern,
        limit=limit + 1,
        offset=offset,
        after=after,
    )
    items, next_cursor = cut_page(rows, limit, descending, _position)
    return Page(items, store.count(tx, caller.workspace, pattern), next_cursor)


def update_reason(tx: Transaction, caller: Caller, lead_id: str, reason: str | None) -> BlockedLead:
    require_writer(caller)
    lead = get_blocked_lead(tx, caller, lead_id)
    normalised = reason_of_request(reason)
    if normalised == lead.reason:
        return lead
    store.update_reason(tx, caller.workspace, lead_id, normalised)
    events.record(
        tx, caller, EventType.REASON_CHANGED, now_ms(), [(lead.public_identifier, normalised)]
    )
    return lead._replace(reason=normalised)


def unblock(
    tx: Transaction, caller: Caller, ids: Sequence[str], identifiers: Sequence[str]
) -> UnblockOutcome:
    """Remove blocks by record id and/or identifier; unknown ones are reported, not errors."""
    require_writer(caller)
    if len(ids) + len(identifiers) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} ids and identifiers per request.")
    canonical = canonicalise_identifiers(identifiers)
    unique_ids = list(dict.fromkeys(ids))
    plausible = [id_ for id_ in unique_ids if is_record_id(id_)]
    removed = store.delete_by_ids(tx, caller.workspace, plausible) if plausible else []
    removed_ids = {lead.id for lead in removed}
    not_found = [id_ for id_ in unique_ids if id_ not in removed_ids]
    if canonical:
        by_identifier = store.delete_by_identifiers(tx, caller.workspace, canonical)
        removed_identifiers = {lead.public_identifier for lead in by_identifier}
        removed_identifiers.update(lead.public_identifier for lead in removed)
        not_found += [ident for ident in canonical if ident not in removed_identifiers]
        removed += by_identifier
    events.record(
        tx,
        caller,
        EventType.UNBLOCKED,
        now_ms(),
        [(lead.public_identifier, lead.reason) for lead in removed],
    )
    return UnblockOutcome(unblocked=len(removed), not_found=not_found)


def unblock_one(tx: Transaction, caller: Caller, lead_id: str) -> None:
    if unblock(tx, caller, [lead_id], []).not_found:
        raise NotFound("Blocked lead not found.")


def check(
    tx: Transaction, caller: Caller, inputs: Sequence[str], campaign_id: str | None = None
) -> list[CheckResult]:
    """Is each input blocked right now, for the workspace or for `campaign_id`? A workspace
    block wins when both apply. Invalid inputs get an error of their own."""
    if len(inputs) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} identifiers per request.")
    if campaign_id is not None and (
        not is_record_id(campaign_id)
        or not campaigns.find_campaign(tx, caller.workspace, campaign_id)
    ):
        raise NotFound("Campaign not found.")
    canonical: list[str | InvalidIdentifier] = []
    for value in inputs:
        try:
            canonical.append(canonicalise_identifier(value))
        except InvalidIdentifier as error:
            canonical.append(error)
    blocks = active_blocks(
        tx, caller.workspace, campaign_id, [c for c in canonical if isinstance(c, str)]
    )
    # Positional tuples in a tight loop: 10,000 results are on the hot path of every campaign.
    results: list[CheckResult] = []
    append = results.append
    for value, ident in zip(inputs, canonical, strict=True):
        if isinstance(ident, InvalidIdentifier):
            append(CheckResult(value, None, None, None, None, None, f"publicIdentifier {ident}"))
        elif (block := blocks.get(ident)) is None:
            append(CheckResult(value, ident, False, None, None, None))
        else:
            append(CheckResult(value, ident, True, block.scope, block.reason, block.since))
    return results


def active_blocks(
    tx: Transaction, workspace: int, campaign_id: str | None, identifiers: Sequence[str]
) -> dict[str, ActiveBlock]:
    """The block in force for each blocked identifier, workspace over campaign."""
    unique = list(dict.fromkeys(identifiers))
    in_workspace = store.find_by_identifiers(tx, workspace, unique)
    in_campaign = campaigns.find_blocks(tx, workspace, campaign_id, unique) if campaign_id else {}
    return effective_blocks(in_workspace, in_campaign)


def _position(lead: BlockedLead) -> tuple[int, str]:
    return lead.created_at, lead.id


def like_pattern(search: str | None) -> str | None:
    """A LIKE pattern matching `search` as a case-insensitive substring, wildcards escaped."""
    if search is None or not search.strip():
        return None
    if "\x00" in search:
        raise InvalidInput("search must not contain NUL characters.")
    escaped = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def count_message(count: int, what: str) -> str:
    plural = "" if count == 1 else "s"
    return f"{count} {what}{plural}; nothing was written."
