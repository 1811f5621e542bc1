"""Campaigns: their own blocklists, their enrolled leads, and the dispatch gate.

Dispatch is the promise of the product: it hands out only leads that are blocked neither for
the workspace nor for the campaign at the moment of the claim, in one statement, so a block
acknowledged before a dispatch is always honoured by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadblock.domain.blocking import ActiveBlock
from leadblock.domain.contacts import InvalidContact, normalise_email, normalise_name
from leadblock.domain.cursors import IDENTIFIER_KEY
from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.ids import is_record_id, new_id, new_ids, now_ms
from leadblock.domain.labels import InvalidLabel, normalise_label
from leadblock.domain.records import (
    Caller,
    Campaign,
    CampaignBlock,
    CampaignLead,
    Contact,
    EventType,
    Scope,
)
from leadblock.errors import InvalidInput, ItemError, NotFound
from leadblock.services.blocklist import (
    MAX_LEADS_PER_REQUEST,
    active_blocks,
    canonicalise_identifiers,
    count_message,
    reason_of_request,
    require_writer,
)
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.storage import campaigns as store
from leadblock.storage import events
from leadblock.storage.db import Transaction

MAX_DISPATCH = 1000


@dataclass(frozen=True, slots=True)
class CampaignPage:
    items: list[Campaign]
    total: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class BlockPage:
    items: list[CampaignBlock]
    total: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class LeadView:
    """A campaign lead with the block that stops it right now, if any."""

    lead: CampaignLead
    block: ActiveBlock | None


@dataclass(frozen=True, slots=True)
class LeadPage:
    items: list[LeadView]
    total: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CampaignBlockOutcome:
    blocked: int
    already_blocked: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class CampaignUnblockOutcome:
    unblocked: int
    not_found: list[str]


@dataclass(frozen=True, slots=True)
class EnrolOutcome:
    added: int
    already_in_campaign: int
    blocked: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class RawLead:
    public_identifier: str
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None


def create_campaign(tx: Transaction, caller: Caller, name: str) -> Campaign:
    require_writer(caller)
    try:
        name = normalise_label(name, "Campaign name")
    except InvalidLabel as error:
        raise InvalidInput(f"{error}.", [ItemError(-1, name, f"name: {error}.")]) from None
    at = now_ms()
    campaign = Campaign(new_id(at), name, at)
    store.insert_campaign(tx, caller.workspace, campaign)
    return campaign


def get_campaign(tx: Transaction, caller: Caller, campaign_id: str) -> Campaign:
    campaign = (
        store.find_campaign(tx, caller.workspace, campaign_id)
        if is_record_id(campaign_id)
        else None
    )
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def list_campaigns(
    tx: Transaction, caller: Caller, *, limit: int = 100, offset: int = 0, cursor: str | None = None
) -> CampaignPage:
    after = position_from_cursor(cursor, True, offset)
    rows = store.campaigns_page(tx, caller.workspace, limit=limit + 1, offset=offset, after=after)
    items, next_cursor = cut_page(rows, limit, True, lambda c: (c.created_at, c.id))
    return CampaignPage(items, store.count_campaigns(tx, caller.workspace), next_cursor)


def delete_campaign(tx: Transaction, caller: Caller, campaign_id: str) -> None:
    """Delete a campaign, its leads and its blocks; the audit trail keeps their history."""
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    removed = store.delete_campaign(tx, caller.workspace, campaign_id)
    _record(tx, caller, EventType.UNBLOCKED, removed, campaign_id)


def block_in_campaign(
    tx: Transaction,
    caller: Caller,
    campaign_id: str,
    identifiers: Sequence[str],
    reason: str | None,
) -> CampaignBlockOutcome:
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    canonical = canonicalise_identifiers(identifiers)
    if not canonical:
        raise InvalidInput("Send at least one public identifier.")
    normalised = reason_of_request(reason)
    inserted = store.insert_blocks(
        tx, caller.workspace, campaign_id, canonical, normalised, now_ms()
    )
    _record(
        tx,
        caller,
        EventType.BLOCKED,
        [(ident, normalised) for ident in canonical if ident in inserted],
        campaign_id,
    )
    return CampaignBlockOutcome(
        blocked=len(inserted),
        already_blocked=len(canonical) - len(inserted),
        duplicates=len(identifiers) - len(canonical),
    )


def list_campaign_blocks(
    tx: Transaction, caller: Caller, campaign_id: str, *, skip: int, take: int
) -> tuple[list[CampaignBlock], int]:
    """A page by skip/take (WaLead's shape), newest first, and the total."""
    get_campaign(tx, caller, campaign_id)
    items = store.blocks_page(tx, caller.workspace, campaign_id, limit=take, offset=skip)
    return items, store.count_blocks(tx, caller.workspace, campaign_id)


def page_campaign_blocks(
    tx: Transaction, caller: Caller, campaign_id: str, *, limit: int, cursor: str | None
) -> BlockPage:
    """A page by keyset cursor, newest first, as the other lists page."""
    get_campaign(tx, caller, campaign_id)
    after = position_from_cursor(cursor, True, 0, IDENTIFIER_KEY)
    rows = store.blocks_page(tx, caller.workspace, campaign_id, limit=limit + 1, after=after)
    items, next_cursor = cut_page(rows, limit, True, lambda b: (b.created_at, b.public_identifier))
    return BlockPage(items, store.count_blocks(tx, caller.workspace, campaign_id), next_cursor)


def unblock_in_campaign(
    tx: Transaction, caller: Caller, campaign_id: str, identifiers: Sequence[str]
) -> CampaignUnblockOutcome:
    """Remove campaign blocks. A workspace block of the same lead stays in force."""
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    canonical = canonicalise_identifiers(identifiers)
    removed = store.delete_blocks(tx, caller.workspace, campaign_id, canonical) if canonical else []
    _record(tx, caller, EventType.UNBLOCKED, removed, campaign_id)
    removed_identifiers = {ident for ident, _reason in removed}
    return CampaignUnblockOutcome(
        unblocked=len(removed),
        not_found=[ident for ident in canonical if ident not in removed_identifiers],
    )


def enrol_leads(
    tx: Transaction, caller: Caller, campaign_id: str, raw: Sequence[RawLead]
) -> EnrolOutcome:
    """Add leads to a campaign. Blocked leads are enrolled too (unblocking later makes them
    eligible); an already-enrolled lead keeps its record and status."""
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    leads = _canonical_leads(raw)
    if not leads:
        raise InvalidInput("Send at least one lead.")
    at = now_ms()
    rows = [
        (id_, ident, contact)
        for id_, (ident, contact) in zip(new_ids(len(leads), at), leads.items(), strict=True)
    ]
    added = store.insert_leads(tx, caller.workspace, campaign_id, rows, at)
    blocks = active_blocks(tx, caller.workspace, campaign_id, list(leads))
    return EnrolOutcome(
        added=len(added),
        already_in_campaign=len(leads) - len(added),
        blocked=len(blocks),
        duplicates=len(raw) - len(leads),
    )


def list_leads(
    tx: Transaction,
    caller: Caller,
    campaign_id: str,
    *,
    limit: int = 100,
    offset: int = 0,
    cursor: str | None = None,
) -> LeadPage:
    get_campaign(tx, caller, campaign_id)
    after = position_from_cursor(cursor, False, offset)
    rows = store.leads_page(
        tx, caller.workspace, campaign_id, limit=limit + 1, offset=offset, after=after
    )
    items, next_cursor = cut_page(rows, limit, False, lambda lead: (lead.created_at, lead.id))
    blocks = active_blocks(
        tx, caller.workspace, campaign_id, [lead.public_identifier for lead in items]
    )
    return LeadPage(
        [LeadView(lead, blocks.get(lead.public_identifier)) for lead in items],
        store.count_leads(tx, caller.workspace, campaign_id),
        next_cursor,
    )


def dispatch(tx: Transaction, caller: Caller, campaign_id: str, limit: int) -> list[LeadView]:
    """Claim up to `limit` pending leads that nothing blocks now; mark them dispatched."""
    require_writer(caller)
    if not 1 <= limit <= MAX_DISPATCH:
        raise InvalidInput(f"limit must be between 1 and {MAX_DISPATCH}.")
    get_campaign(tx, caller, campaign_id)
    claimed = store.claim_pending(tx, caller.workspace, campaign_id, limit, now_ms())
    return [LeadView(lead, None) for lead in claimed]


def _canonical_leads(raw: Sequence[RawLead]) -> dict[str, Contact]:
    if len(raw) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} leads per request.")
    errors: list[ItemError] = []
    leads: dict[str, Contact] = {}
    for index, lead in enumerate(raw):
        try:
            identifier = canonicalise_identifier(lead.public_identifier)
        except InvalidIdentifier as error:
            errors.append(ItemError(index, lead.public_identifier, f"publicIdentifier {error}"))
            continue
        try:
            contact = Contact(
                first_name=normalise_name(lead.first_name, "firstName"),
                last_name=normalise_name(lead.last_name, "lastName"),
                company_name=normalise_name(lead.company_name, "companyName"),
                email=normalise_email(lead.email),
            )
        except InvalidContact as error:
            errors.append(ItemError(index, lead.public_identifier, str(error)))
            continue
        leads.setdefault(identifier, contact)
    if errors:
        raise InvalidInput(count_message(len(errors), "invalid lead"), errors)
    return leads


def _record(
    tx: Transaction,
    caller: Caller,
    event_type: EventType,
    leads: list[tuple[str, str | None]],
    campaign_id: str,
) -> None:
    events.record(
        tx, caller, event_type, now_ms(), leads, scope=Scope.CAMPAIGN, campaign_id=campaign_id
    )
