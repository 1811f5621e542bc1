"""Campaigns: their own blocklists, their enrolled leads, and the dispatch gate.

Dispatch is the promise of the product: it hands out only leads that are blocked neither for
the workspace nor for the campaign at the moment of the claim, in one statement, so a block
acknowledged before a dispatch is always honoured by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from leadblock.domain.blocking import ActiveBlock, in_force
from leadblock.domain.companies import (
    Company,
    InvalidCompany,
    canonicalise_domain,
    canonicalise_linkedin_company,
    company_of,
)
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
    LeadStatus,
    Scope,
)
from leadblock.errors import InvalidInput, ItemError, NotFound
from leadblock.services import expiry
from leadblock.services.blocklist import (
    MAX_LEADS_PER_REQUEST,
    active_blocks,
    canonicalise_identifiers,
    count_message,
    expiry_of_request,
    reason_of_request,
    require_writer,
)
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.storage import campaigns as store
from leadblock.storage import events
from leadblock.storage.db import Transaction

MAX_DISPATCH = 1000
# A lease lasts 10 s to 24 h: long enough to message a batch, short enough that a crashed
# sender's leads come back the same day.
MIN_LEASE_SECONDS = 10
MAX_LEASE_SECONDS = 86_400


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
    extended: int = 0


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
class Claim:
    """What a dispatch claimed; with a lease, the claim that holds the leads until when."""

    leads: list[LeadView]
    claim_id: str | None = None
    lease_expires_at: int | None = None


@dataclass(frozen=True, slots=True)
class ConfirmOutcome:
    confirmed: list[LeadView]  # now dispatched: message exactly these
    blocked: list[LeadView]  # back to pending, with the block that stopped each
    not_held: list[str]  # ids this claim does not hold (never, no longer, or re-claimed)


@dataclass(frozen=True, slots=True)
class RawLead:
    public_identifier: str
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    company_linkedin: str | None = None
    company_domain: str | None = None


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
    _record_removed(
        tx, caller, store.delete_campaign(tx, caller.workspace, campaign_id), campaign_id
    )


def block_in_campaign(
    tx: Transaction,
    caller: Caller,
    campaign_id: str,
    identifiers: Sequence[str],
    reason: str | None,
    expires_at: str | None = None,
) -> CampaignBlockOutcome:
    """Block identifiers for one campaign, with one reason and one expiry for them all. An
    already-blocked lead keeps its block, whose expiry becomes the later of the two; one whose
    block has expired, not swept yet, is blocked afresh."""
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    canonical = canonicalise_identifiers(identifiers)
    if not canonical:
        raise InvalidInput("Send at least one public identifier.")
    normalised = reason_of_request(reason)
    at = now_ms()
    until = expiry_of_request(expires_at, at)
    workspace = caller.workspace
    inserted = store.insert_blocks(tx, workspace, campaign_id, canonical, normalised, at, until)
    existing = store.find_blocks(
        tx, workspace, campaign_id, [ident for ident in canonical if ident not in inserted]
    )
    if any(not in_force(block.expires_at, at) for block in existing.values()):
        expiry.expire_all_due(tx, workspace, at)
        lapsed = [ident for ident in existing if ident not in inserted]
        inserted |= store.insert_blocks(tx, workspace, campaign_id, lapsed, normalised, at, until)
        existing = store.find_blocks(
            tx, workspace, campaign_id, [ident for ident in canonical if ident not in inserted]
        )
    extendable = [
        ident
        for ident, block in existing.items()
        if block.expires_at is not None and (until is None or until > block.expires_at)
    ]
    extended = store.extend_blocks(tx, workspace, campaign_id, extendable, until)
    _record(
        tx,
        caller,
        EventType.BLOCKED,
        [(ident, normalised, until) for ident in canonical if ident in inserted],
        campaign_id,
    )
    _record(
        tx,
        caller,
        EventType.EXPIRY_CHANGED,
        [(ident, existing[ident].reason, until) for ident in canonical if ident in extended],
        campaign_id,
    )
    return CampaignBlockOutcome(
        blocked=len(inserted),
        already_blocked=len(canonical) - len(inserted),
        duplicates=len(identifiers) - len(canonical),
        extended=len(extended),
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
    unblocked = _record_removed(tx, caller, removed, campaign_id)
    return CampaignUnblockOutcome(
        unblocked=len(unblocked),
        not_found=[ident for ident in canonical if ident not in unblocked],
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
    blocks = active_blocks(
        tx, caller.workspace, campaign_id, list(leads), _companies(leads.items()), now=at
    )
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
    blocks = _blocks_of(tx, caller.workspace, campaign_id, items)
    return LeadPage(
        [LeadView(lead, blocks.get(lead.public_identifier)) for lead in items],
        store.count_leads(tx, caller.workspace, campaign_id),
        next_cursor,
    )


def dispatch(
    tx: Transaction,
    caller: Caller,
    campaign_id: str,
    limit: int,
    lease_seconds: int | None = None,
) -> Claim:
    """Claim up to `limit` pending leads that nothing blocks now: mark them dispatched, or
    with `lease_seconds` lease them to a new claim until they are confirmed or released, or
    the lease runs out."""
    require_writer(caller)
    if not 1 <= limit <= MAX_DISPATCH:
        raise InvalidInput(f"limit must be between 1 and {MAX_DISPATCH}.")
    if lease_seconds is not None and not MIN_LEASE_SECONDS <= lease_seconds <= MAX_LEASE_SECONDS:
        raise InvalidInput(
            f"leaseSeconds must be between {MIN_LEASE_SECONDS} and {MAX_LEASE_SECONDS:,}."
        )
    get_campaign(tx, caller, campaign_id)
    now = now_ms()
    if lease_seconds is None:
        claimed = store.claim_pending(tx, caller.workspace, campaign_id, limit, now)
        return Claim([LeadView(lead, None) for lead in claimed])
    claim_id, expires_at = new_id(now), now + lease_seconds * 1000
    leased = store.claim_pending(
        tx, caller.workspace, campaign_id, limit, now, lease=(claim_id, expires_at)
    )
    return Claim([LeadView(lead, None) for lead in leased], claim_id, expires_at)


def confirm(
    tx: Transaction,
    caller: Caller,
    campaign_id: str,
    claim_id: str,
    lead_ids: Sequence[str] | None,
) -> ConfirmOutcome:
    """The gate's last word on leased leads: each lead of `lead_ids` (default: all) still held
    by the claim goes out (dispatched) if no block applies at this moment, else back to
    pending with the block that stops it. A lead whose lease ran out is still held unless a
    later dispatch claimed it. Atomic: held leads are locked, and the blocks read, in the
    transaction that marks them."""
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    _require_claim_id(claim_id)
    wanted = _lead_ids(lead_ids)
    held = store.claim_leads(tx, caller.workspace, campaign_id, claim_id, _record_ids(wanted))
    now = now_ms()
    blocks = _blocks_of(tx, caller.workspace, campaign_id, held, now)
    free = [lead for lead in held if lead.public_identifier not in blocks]
    stopped = [lead for lead in held if lead.public_identifier in blocks]
    store.confirm_claim_leads(
        tx, caller.workspace, campaign_id, claim_id, [lead.id for lead in free], now
    )
    if stopped:
        store.release_claim_leads(
            tx, caller.workspace, campaign_id, claim_id, [lead.id for lead in stopped]
        )
    held_ids = {lead.id for lead in held}
    return ConfirmOutcome(
        confirmed=[LeadView(_as(lead, LeadStatus.DISPATCHED), None) for lead in free],
        blocked=[
            LeadView(_as(lead, LeadStatus.PENDING), blocks[lead.public_identifier])
            for lead in stopped
        ],
        not_held=[id_ for id_ in (wanted or []) if id_ not in held_ids],
    )


def release(
    tx: Transaction,
    caller: Caller,
    campaign_id: str,
    claim_id: str,
    lead_ids: Sequence[str] | None,
) -> int:
    """Put the leads of `lead_ids` (default: all) of the claim back to pending now, those it
    still holds and those it confirmed (a message that could not be sent); return how many.
    A lead a later dispatch claimed is that dispatch's, and stays as it is."""
    require_writer(caller)
    get_campaign(tx, caller, campaign_id)
    _require_claim_id(claim_id)
    ids = _record_ids(_lead_ids(lead_ids))
    return store.release_claim_leads(tx, caller.workspace, campaign_id, claim_id, ids)


def _blocks_of(
    tx: Transaction,
    workspace: int,
    campaign_id: str,
    leads: Sequence[CampaignLead],
    now: int | None = None,
) -> dict[str, ActiveBlock]:
    """The block in force for each blocked lead of `leads`, of any scope."""
    return active_blocks(
        tx,
        workspace,
        campaign_id,
        [lead.public_identifier for lead in leads],
        _companies((lead.public_identifier, lead.contact) for lead in leads),
        now=now,
    )


def _companies(leads: Iterable[tuple[str, Contact]]) -> dict[str, Company]:
    """The company of each lead that has one, by identifier."""
    companies = {ident: company_of(contact) for ident, contact in leads}
    return {ident: company for ident, company in companies.items() if any(company)}


def _require_claim_id(claim_id: str) -> None:
    """A claim id is a record id; anything else names no claim. (A well-formed id that holds
    nothing is answered as such: every lead in `notHeld`, none released.)"""
    if not is_record_id(claim_id):
        raise NotFound("Claim not found.")


def _lead_ids(lead_ids: Sequence[str] | None) -> list[str] | None:
    """Distinct lead ids in order (None: every lead of the claim)."""
    if lead_ids is None:
        return None
    if len(lead_ids) > MAX_DISPATCH:
        raise InvalidInput(f"At most {MAX_DISPATCH:,} lead ids per request.")
    return list(dict.fromkeys(lead_ids))


def _record_ids(ids: list[str] | None) -> list[str] | None:
    """The ids that can name a lead: any other text names none (and may be text the database
    cannot hold, such as NUL)."""
    return None if ids is None else [id_ for id_ in ids if is_record_id(id_)]


def _as(lead: CampaignLead, status: LeadStatus) -> CampaignLead:
    """The lead as confirm left it: dispatched, or pending and held by nothing."""
    return lead._replace(status=status, claim_id=None, lease_expires_at=None)


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
                company_linkedin=_optional(
                    canonicalise_linkedin_company, lead.company_linkedin, "companyLinkedIn"
                ),
                company_domain=_optional(canonicalise_domain, lead.company_domain, "companyDomain"),
            )
        except (InvalidContact, InvalidCompany) as error:
            errors.append(ItemError(index, lead.public_identifier, str(error)))
            continue
        leads.setdefault(identifier, contact)
    if errors:
        raise InvalidInput(count_message(len(errors), "invalid lead"), errors)
    return leads


def _record_removed(
    tx: Transaction,
    caller: Caller,
    removed: Sequence[tuple[str, str | None, int | None]],
    campaign_id: str,
) -> set[str]:
    """Record removed campaign blocks: `unblocked` by the caller, or, for a block whose expiry
    had passed before the sweep reached it, `expired` (no key) as the sweep would have. Return
    the identifiers really unblocked."""
    at = now_ms()
    lapsed = [block for block in removed if not in_force(block[2], at)]
    live = [block for block in removed if in_force(block[2], at)]
    for key_id, event_type, blocks in (
        (None, EventType.EXPIRED, lapsed),
        (caller.key_id, EventType.UNBLOCKED, live),
    ):
        events.record(
            tx,
            caller.workspace,
            key_id,
            event_type,
            at,
            blocks,
            scope=Scope.CAMPAIGN,
            campaign_id=campaign_id,
        )
    return {identifier for identifier, _reason, _expires_at in live}


def _optional(canonicalise: Callable[[str], str], value: str | None, field: str) -> str | None:
    """The canonical company of an optional field (None or blank: none); `InvalidCompany`
    naming the field."""
    if value is None or not value.strip():
        return None
    try:
        return canonicalise(value)
    except InvalidCompany as error:
        raise InvalidCompany(f"{field} {error}") from None


def _record(
    tx: Transaction,
    caller: Caller,
    event_type: EventType,
    leads: Sequence[tuple[str, str | None]] | Sequence[tuple[str, str | None, int | None]],
    campaign_id: str,
) -> None:
    events.record(
        tx,
        caller.workspace,
        caller.key_id,
        event_type,
        now_ms(),
        leads,
        scope=Scope.CAMPAIGN,
        campaign_id=campaign_id,
    )
