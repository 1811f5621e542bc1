"""The workspace blocklist: block, look up, check, change and unblock leads.

Writes are all or nothing: every input is canonicalised and validated before the first
statement runs, and a request with any bad entry raises `InvalidInput` listing each of them.
Every change appends to the audit trail in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, NotRequired

from typing_extensions import TypedDict

from leadblock.domain.blocking import ActiveBlock, effective_blocks, in_force
from leadblock.domain.companies import (
    Company,
    InvalidCompany,
    canonicalise_domain,
    parent_domains,
)
from leadblock.domain.companies import canonicalise_linkedin_company as canonicalise_company
from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.ids import is_record_id, new_ids, now_ms
from leadblock.domain.reasons import InvalidReason, normalise_reason
from leadblock.domain.records import (
    BlockedLead,
    Caller,
    CompanyBlock,
    CompanyKind,
    EventType,
    LeadInput,
    Scope,
)
from leadblock.domain.timestamps import InvalidExpiry, parse_expiry
from leadblock.errors import Forbidden, InvalidInput, ItemError, NotFound
from leadblock.services import expiry
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.storage import blocked_leads as store
from leadblock.storage import blocks as lead_blocks
from leadblock.storage import campaigns, events
from leadblock.storage import workspaces as workspaces_store
from leadblock.storage.db import Transaction

MAX_LEADS_PER_REQUEST = 10_000
Sort = Literal["ASC", "DESC"]
# A lead to block as a request sends it: (identifier, reason) or (identifier, reason, expiresAt).
RawLead = tuple[str, str | None] | tuple[str, str | None, str | None]
CompanyKey = tuple[CompanyKind, str]


class Unchanged:
    """The value of a PATCH field the request did not send: the field stays as it is."""


UNCHANGED = Unchanged()


@dataclass(frozen=True, slots=True)
class BlockOutcome:
    blocked: int
    already_blocked: int
    duplicates: int
    leads: list[BlockedLead]
    new: frozenset[str] = frozenset()  # ids of the records this request created
    extended: int = 0  # already blocked, and this request moved their expiry later


@dataclass(frozen=True, slots=True)
class Page:
    items: list[BlockedLead]
    total: int
    next_cursor: str | None


class CheckResult(NamedTuple):
    input: str | CheckItem
    public_identifier: str | None
    blocked: bool | None
    scope: Scope | None
    reason: str | None
    blocked_at: int | None
    error: str | None = None
    expires_at: int | None = None
    company_block_id: str | None = None

    @property
    def contactable(self) -> bool:
        """Valid and blocked by nothing at this moment: the only answer that clears a send."""
        return self.error is None and self.blocked is False


class CheckItem(TypedDict):
    """A check input given as an object: the lead, and what is known of its company. Keyed as
    the API sends it, so that 10,000 of them reach the check as they were validated."""

    publicIdentifier: str
    companyLinkedIn: NotRequired[str | None]
    companyDomain: NotRequired[str | None]
    email: NotRequired[str | None]


@dataclass(frozen=True, slots=True)
class UnblockOutcome:
    unblocked: int
    not_found: list[str]


def require_writer(caller: Caller) -> None:
    if caller.read_only:
        raise Forbidden("This API key is read-only.")


def canonicalise_leads(raw: Sequence[RawLead], now: int) -> tuple[list[LeadInput], int]:
    """Canonical, de-duplicated leads in request order, and how many duplicates were dropped.

    Raises `InvalidInput` listing every bad entry. The first occurrence of a lead wins.
    """
    if len(raw) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} leads per request.")
    errors: list[ItemError] = []
    leads: dict[str, LeadInput] = {}
    for index, (identifier, reason, *expiry_text) in enumerate(raw):
        try:
            canonical = canonicalise_identifier(identifier)
            normalised = normalise_reason(reason)
            expires_at = expiry_of(expiry_text[0] if expiry_text else None, now)
        except InvalidIdentifier as error:
            errors.append(ItemError(index, identifier, f"publicIdentifier {error}"))
            continue
        except (InvalidReason, InvalidExpiry) as error:
            errors.append(ItemError(index, identifier, str(error)))
            continue
        leads.setdefault(canonical, LeadInput(canonical, normalised, expires_at))
    if errors:
        raise InvalidInput(count_message(len(errors), "invalid lead"), errors)
    return list(leads.values()), len(raw) - len(leads)


def expiry_of(text: str | None, now: int) -> int | None:
    """The instant of an `expiresAt` (None: permanent); `InvalidExpiry` names the field."""
    if text is None:
        return None
    try:
        return parse_expiry(text, now)
    except InvalidExpiry as error:
        raise InvalidExpiry(f"expiresAt {error}") from None


def expiry_of_request(text: str | None, now: int) -> int | None:
    """The one `expiresAt` of a request, or `InvalidInput` saying what is wrong."""
    try:
        return expiry_of(text, now)
    except InvalidExpiry as error:
        raise InvalidInput(f"{error}.", [ItemError(-1, text, str(error))]) from None


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


def block_leads(tx: Transaction, caller: Caller, raw: Sequence[RawLead]) -> BlockOutcome:
    require_writer(caller)
    leads, duplicates = canonicalise_leads(raw, now_ms())
    if not leads:
        raise InvalidInput("Send at least one lead.")
    return insert_leads(tx, caller, leads, duplicates)


def insert_leads(
    tx: Transaction, caller: Caller, leads: Sequence[LeadInput], duplicates: int = 0
) -> BlockOutcome:
    """Block canonical leads. An already-blocked lead keeps its original record, and its
    expiry becomes the later of the two (never shortened); one whose block has expired, not
    swept yet, is blocked afresh."""
    at = now_ms()
    ids = new_ids(len(leads), at)
    rows = [
        (id_, lead.public_identifier, lead.reason, lead.expires_at)
        for id_, lead in zip(ids, leads, strict=True)
    ]
    inserted = store.insert_missing(tx, caller.workspace, rows, at, caller.key_id)
    existing = store.find_by_identifiers(
        tx,
        caller.workspace,
        [lead.public_identifier for lead in leads if lead.public_identifier not in inserted],
    )
    if any(not in_force(lead.expires_at, at) for lead in existing.values()):
        expiry.expire_all_due(tx, caller.workspace, at)
        lapsed = [row for row in rows if row[1] in existing and row[1] not in inserted]
        inserted |= store.insert_missing(tx, caller.workspace, lapsed, at, caller.key_id)
        existing = store.find_by_identifiers(
            tx, caller.workspace, [row[1] for row in rows if row[1] not in inserted]
        )
    extended = store.extend(
        tx,
        caller.workspace,
        [
            (block.id, lead.expires_at)
            for lead in leads
            if (block := existing.get(lead.public_identifier)) is not None
            and block.expires_at is not None
            and (lead.expires_at is None or lead.expires_at > block.expires_at)
        ],
    )
    records: list[BlockedLead] = []
    for id_, lead in zip(ids, leads, strict=True):
        if lead.public_identifier in inserted:
            records.append(
                BlockedLead(id_, lead.public_identifier, lead.reason, at, lead.expires_at)
            )
        elif (block := existing.get(lead.public_identifier)) is not None:
            if block.id in extended:
                block = block._replace(expires_at=extended[block.id])
            records.append(block)
    events.record(
        tx,
        caller.workspace,
        caller.key_id,
        EventType.EXPIRY_CHANGED,
        at,
        [(r.public_identifier, r.reason, r.expires_at) for r in records if r.id in extended],
    )
    return BlockOutcome(
        blocked=len(inserted),
        already_blocked=len(leads) - len(inserted),
        duplicates=duplicates,
        leads=records,
        new=frozenset(
            id_ for id_, lead in zip(ids, leads, strict=True) if lead.public_identifier in inserted
        ),
        extended=len(extended),
    )


def get_blocked_lead(tx: Transaction, caller: Caller, lead_id: str) -> BlockedLead:
    """The block of `lead_id`; not found once it has expired, swept or not."""
    lead = store.find(tx, caller.workspace, lead_id) if is_record_id(lead_id) else None
    if lead is None or not in_force(lead.expires_at, now_ms()):
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


def update_blocked_lead(
    tx: Transaction,
    caller: Caller,
    lead_id: str,
    reason: str | Unchanged | None = UNCHANGED,
    expires_at: str | Unchanged | None = UNCHANGED,
) -> BlockedLead:
    """Set the reason and/or the expiry of a block (exactly as given: an explicit edit may
    shorten a block; None clears either). A field not given stays as it is."""
    require_writer(caller)
    at = now_ms()
    new_reason = reason if isinstance(reason, Unchanged) else reason_of_request(reason)
    new_expiry = (
        expires_at if isinstance(expires_at, Unchanged) else expiry_of_request(expires_at, at)
    )
    lead = get_blocked_lead(tx, caller, lead_id)
    subject = [(lead.public_identifier, lead.reason, lead.expires_at)]
    if not isinstance(new_reason, Unchanged) and new_reason != lead.reason:
        store.update_reason(tx, caller.workspace, lead_id, new_reason)
        lead = lead._replace(reason=new_reason)
        subject = [(lead.public_identifier, lead.reason, lead.expires_at)]
        events.record(tx, caller.workspace, caller.key_id, EventType.REASON_CHANGED, at, subject)
    if not isinstance(new_expiry, Unchanged) and new_expiry != lead.expires_at:
        store.update_expiry(tx, caller.workspace, lead_id, new_expiry)
        lead = lead._replace(expires_at=new_expiry)
        subject = [(lead.public_identifier, lead.reason, lead.expires_at)]
        events.record(tx, caller.workspace, caller.key_id, EventType.EXPIRY_CHANGED, at, subject)
    return lead


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
    at = now_ms()
    lapsed = [lead for lead in removed if not in_force(lead.expires_at, at)]
    if lapsed:  # expired before this request, not swept yet: recorded as such, not found here
        events.record(
            tx, caller.workspace, None, EventType.EXPIRED, at, [_subject(lead) for lead in lapsed]
        )
        asked_ids = set(unique_ids)
        not_found += [
            lead.id if lead.id in asked_ids else lead.public_identifier for lead in lapsed
        ]
        removed = [lead for lead in removed if in_force(lead.expires_at, at)]
    events.record(
        tx,
        caller.workspace,
        caller.key_id,
        EventType.UNBLOCKED,
        at,
        [_subject(lead) for lead in removed],
    )
    return UnblockOutcome(unblocked=len(removed), not_found=not_found)


def _subject(lead: BlockedLead) -> tuple[str, str | None, int | None]:
    return lead.public_identifier, lead.reason, lead.expires_at


def unblock_one(tx: Transaction, caller: Caller, lead_id: str) -> None:
    if unblock(tx, caller, [lead_id], []).not_found:
        raise NotFound("Blocked lead not found.")


def check(
    tx: Transaction,
    caller: Caller,
    inputs: Sequence[str | CheckItem],
    campaign_id: str | None = None,
    *,
    looked_up: Mapping[str, BlockedLead] | None = None,
) -> list[CheckResult]:
    """Is each input blocked right now, for the workspace, its company (items given as
    objects) or `campaign_id`? Workspace wins, then company, then campaign. An invalid input
    gets an error of its own. `looked_up`: the workspace's blocks of the inputs' identifiers,
    when they were read already (`OneLeadCheck`)."""
    if len(inputs) > MAX_LEADS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_LEADS_PER_REQUEST:,} identifiers per request.")
    if campaign_id is not None and (
        not is_record_id(campaign_id)
        or not campaigns.find_campaign(tx, caller.workspace, campaign_id)
    ):
        raise NotFound("Campaign not found.")
    now = now_ms()
    canonical: list[str | ValueError] = []  # an identifier, or why the input is invalid
    companies: list[Company | None] = []  # of each input: what is known of its company
    company_of = CompanyReader()
    known = company_of.known
    for value in inputs:
        company = None
        try:
            if isinstance(value, str):
                identifier = canonicalise_identifier(value)
            else:
                identifier = canonicalise_identifier(value["publicIdentifier"])
                # The item's company, as `CompanyReader` reads it, inlined: 10,000 calls saved.
                email = value.get("email")
                sent = (
                    value.get("companyLinkedIn"),
                    value.get("companyDomain"),
                    email.rpartition("@")[2] if email and "@" in email else None,
                )
                company = known[sent] if sent in known else company_of.read(sent)
        except InvalidIdentifier as error:
            canonical.append(InvalidIdentifier(f"publicIdentifier {error}"))
        except InvalidCompany as error:
            canonical.append(error)
        else:
            canonical.append(identifier)
        companies.append(company)
    identifiers = [c for c in canonical if isinstance(c, str)]
    blocks, matched = blocks_in_force(
        tx, caller.workspace, campaign_id, identifiers, company_of.companies(), now, looked_up
    )
    # Positional tuples in a tight loop: 10,000 results are on the hot path of every campaign.
    results: list[CheckResult] = []
    append = results.append
    for value, ident, company in zip(inputs, canonical, companies, strict=True):
        if not isinstance(ident, str):
            append(CheckResult(value, None, None, None, None, None, str(ident)))
            continue
        block = blocks.get(ident)
        if matched and company in matched and (block is None or block.scope == Scope.CAMPAIGN):
            block = matched[company]
        if block is None:
            append(CheckResult(value, ident, False, None, None, None))
        else:
            append(
                CheckResult(
                    value,
                    ident,
                    True,
                    block.scope,
                    block.reason,
                    block.since,
                    None,
                    block.expires_at,
                    block.company_block_id,
                )
            )
    return results


class CompanyReader:
    """The canonical company of check items, one request's worth: each distinct domain text is
    canonicalised once (leads of one company share it)."""

    def __init__(self) -> None:
        self._domains: dict[str, object] = {}  # text -> canonical, None (blank) or the error
        # (companyLinkedIn, companyDomain, the e-mail's domain) as sent -> the company
        self.known: dict[tuple[str | None, str | None, str | None], Company | None] = {}

    def read(self, sent: tuple[str | None, str | None, str | None]) -> Company | None:
        """The company of (companyLinkedIn, companyDomain, the e-mail's domain) as an item sent
        them (None: nothing known of it), remembered in `known`; `InvalidCompany`, naming the
        field, if a company field names no company."""
        company = self.known[sent] = self._read(*sent)
        return company

    def companies(self) -> set[Company]:
        """Every distinct company read."""
        return {company for company in self.known.values() if company is not None}

    def _read(
        self, linkedin_text: str | None, domain_text: str | None, email_domain: str | None
    ) -> Company | None:
        linkedin = domain = email = None
        if linkedin_text:
            linkedin = self._company(linkedin_text)
        if domain_text:
            domain = self._domain(domain_text, "companyDomain")
        if email_domain:
            # An address with no domain after its `@`: no domain block can match it. (`try`
            # costs nothing here; a `suppress` block 0.5 µs a lead.)
            try:  # noqa: SIM105
                email = self._domain(email_domain, "email")
            except InvalidCompany:
                pass
        return Company(linkedin, domain, email) if linkedin or domain or email else None

    def _company(self, text: str) -> str | None:
        if not text.strip():
            return None
        try:
            return canonicalise_company(text)
        except InvalidCompany as error:
            raise InvalidCompany(f"companyLinkedIn {error}") from None

    def _domain(self, text: str, field: str) -> str | None:
        """The canonical domain of `text` (None for blank text), each distinct text once."""
        known = self._domains.get(text, _UNSEEN)
        if known is _UNSEEN:
            try:
                known = canonicalise_domain(text) if text.strip() else None
            except InvalidCompany as error:
                known = error
            self._domains[text] = known
        if isinstance(known, InvalidCompany):
            raise InvalidCompany(f"{field} {known}")
        return known  # type: ignore[return-value]


_UNSEEN = object()


class OneLeadCheck:
    """A check of one identifier, maybe for a campaign (`GET /blocked-leads/check`). Without a
    campaign, its block is read in the statement that verifies the API key: the request unit
    looks the key up with `find_key_row`, then runs `results`; one statement, not two."""

    def __init__(self, value: str, campaign_id: str | None = None) -> None:
        self.value = value
        self.campaign_id = campaign_id
        self.identifier: str | None = None  # read with the key when set
        if campaign_id is None:
            with suppress(InvalidIdentifier):  # `check` says why
                self.identifier = canonicalise_identifier(value)
        self.looked_up: dict[str, BlockedLead] | None = None

    def find_key_row(self, tx: Transaction, api_key_id: str) -> Any:
        """`keys.FindKeyRow`: the API key's row, and the identifier's block kept for later."""
        if self.identifier is None:
            return workspaces_store.find_key_for_auth(tx, api_key_id)
        row, lead = store.find_verifying_api_key(tx, api_key_id, self.identifier)
        self.looked_up = {} if lead is None else {self.identifier: lead}
        return row

    def results(self, tx: Transaction, caller: Caller) -> list[CheckResult]:
        return check(tx, caller, [self.value], self.campaign_id, looked_up=self.looked_up)


def blocks_in_force(
    tx: Transaction,
    workspace: int,
    campaign_id: str | None,
    identifiers: Sequence[str],
    companies: Iterable[Company],
    now: int,
    looked_up: Mapping[str, BlockedLead] | None = None,
) -> tuple[dict[str, ActiveBlock], dict[Company, ActiveBlock]]:
    """The block in force at `now` for each blocked identifier (workspace over campaign), and
    for each blocked company of `companies`. Every kind is read in one statement, so what is
    weighed is one moment of the database, never a block caught moving between kinds. With
    neither campaign nor company, `looked_up` (when given) holds the workspace's blocks of
    `identifiers`, already read."""
    unique = list(dict.fromkeys(identifiers))
    companies = set(companies)
    if campaign_id is None and not companies:
        if looked_up is None:
            looked_up = store.find_by_identifiers(tx, workspace, unique)
        return effective_blocks(looked_up, {}, now), {}
    domains = {d for company in companies for d in company[1:] if d is not None}
    parents = {domain: parent_domains(domain) for domain in domains}
    found = lead_blocks.find(
        tx,
        workspace,
        campaign_id,
        unique,
        {p for ps in parents.values() for p in ps},
        {c[0] for c in companies if c[0]},
    )
    return (
        effective_blocks(found.in_workspace, found.in_campaign, now),
        _company_matches(
            companies,
            parents,
            _in_force(found.domains, now),
            _in_force(found.linkedin_companies, now),
        ),
    )


def _company_matches(
    companies: Iterable[Company],
    parents: Mapping[str, Sequence[str]],
    blocked_domains: Mapping[str, CompanyBlock],
    blocked_pages: Mapping[str, CompanyBlock],
) -> dict[Company, ActiveBlock]:
    """For each of `companies` that a company block in force matches, that block: its
    LinkedIn company's, else the first blocked of its domain and that domain's `parents`, else
    of its e-mail's domain and parents (the order of `company_keys`)."""
    if not blocked_domains and not blocked_pages:
        return {}
    first_blocked: dict[str, CompanyBlock] = {}  # domain -> the block of it or of a parent
    for own, ps in parents.items():
        for parent in ps:
            if parent in blocked_domains:
                first_blocked[own] = blocked_domains[parent]
                break
    matched: dict[Company, ActiveBlock] = {}
    for company in companies:
        linkedin, domain, email = company
        block = blocked_pages.get(linkedin) if linkedin else None
        if block is None and domain is not None:
            block = first_blocked.get(domain)
        if block is None and email is not None:
            block = first_blocked.get(email)
        if block is not None:
            matched[company] = company_block_in_force(block)
    return matched


def _in_force(blocks: dict[str, CompanyBlock], now: int) -> dict[str, CompanyBlock]:
    return {value: block for value, block in blocks.items() if in_force(block.expires_at, now)}


def company_block_in_force(block: CompanyBlock) -> ActiveBlock:
    return ActiveBlock(Scope.COMPANY, block.reason, block.created_at, block.expires_at, block.id)


def active_blocks(
    tx: Transaction,
    workspace: int,
    campaign_id: str | None,
    identifiers: Sequence[str],
    companies: Mapping[str, Company] | None = None,
    *,
    now: int | None = None,
) -> dict[str, ActiveBlock]:
    """The block in force at `now` for each blocked identifier: workspace over company (of
    the lead's company, `companies`) over campaign."""
    now = now_ms() if now is None else now
    companies = companies or {}
    blocks, matched = blocks_in_force(
        tx, workspace, campaign_id, identifiers, companies.values(), now
    )
    for ident, company in companies.items():
        if company in matched and (
            (block := blocks.get(ident)) is None or block.scope == Scope.CAMPAIGN
        ):
            blocks[ident] = matched[company]
    return blocks


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


def count_message(count: int, what: str, plural: str | None = None) -> str:
    """ "1 invalid lead; nothing …" / "3 invalid leads; …" (`plural` when not `what` + s)."""
    words = what if count == 1 else plural or f"{what}s"
    return f"{count} {words}; nothing was written."
