"""The API's answers, and the entries of its requests, as frozen dataclasses.

Fields are snake_case; each is read from (or written to) its camelCase wire name (wire.py).
Timestamps are timezone-aware `datetime`s. Arrays are tuples, so a model is immutable all the
way down. The answers' constant `"success": true` is left out: an error answer raises instead
(errors.py). tests/client/test_openapi_models.py holds every model to the server's OpenAPI
document: the same fields, the same required ones, the same types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from leadblock_client.wire import wire_name

COMPANY_LINKEDIN = wire_name("companyLinkedIn")  # not "companyLinkedin"

EventType = Literal["blocked", "unblocked", "reason_changed", "expiry_changed", "expired"]
Timestamp = dt.datetime | str  # as a request takes it: a datetime with its zone, or RFC 3339


# --- Entries of requests ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class LeadInput:
    """A lead to block for the workspace (a bare string is a lead with no reason)."""

    public_identifier: str
    reason: str | None = None
    expires_at: Timestamp | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignLeadInput:
    """A prospect to enrol in a campaign, with what company blocks match it by."""

    public_identifier: str
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    company_linkedin: str | None = field(default=None, metadata=COMPANY_LINKEDIN)
    company_domain: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyInput:
    """A company to block: exactly one of `linkedin_company` and `domain`."""

    linkedin_company: str | None = None
    domain: str | None = None
    name: str | None = None
    reason: str | None = None
    expires_at: Timestamp | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckItem:
    """A lead to check with what is known of its company (company blocks apply too); also how
    a check result echoes such an input."""

    public_identifier: str
    company_linkedin: str | None = field(default=None, metadata=COMPANY_LINKEDIN)
    company_domain: str | None = None
    email: str | None = None


# --- Workspace blocklist -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class BlockedLead:
    id: str | None  # None only in a dry run's answer, for a record that would be new
    public_identifier: str
    reason: str | None
    created_at: dt.datetime
    workspace_id: str
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockResult:
    message: str
    blocked: int  # newly blocked
    already_blocked: int
    extended: int  # of already_blocked, those whose expiry this request moved later
    duplicates: int
    leads: tuple[BlockedLead, ...]  # one per distinct lead of the request, in request order
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    message: str
    rows: int
    blocked: int
    already_blocked: int
    extended: int
    duplicates: int
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UnblockResult:
    message: str
    unblocked: int
    not_found: tuple[str, ...]
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """Whether one input may be messaged now: test `contactable`, never `not blocked`."""

    input: str | CheckItem
    public_identifier: str | None
    blocked: bool | None  # None: the input could not be judged (see `error`)
    scope: str | None  # workspace, company or campaign
    reason: str | None
    blocked_at: dt.datetime | None
    expires_at: dt.datetime | None
    contactable: bool
    company_block_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckAnswer:
    """A check's answer; the clients return its `results`, in input order."""

    results: tuple[CheckResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    id: str
    type: str  # one of EventType
    at: dt.datetime
    key_id: str | None  # None for the CLI and for expiries
    public_identifier: str | None  # None for a company block
    linkedin_company: str | None
    domain: str | None
    reason: str | None
    expires_at: dt.datetime | None
    scope: str
    campaign_id: str | None


# --- Campaigns ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    id: str
    name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignBlock:
    public_identifier: str
    reason: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignBlockResult:
    message: str
    blocked: int
    already_blocked: int
    extended: int
    duplicates: int
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignUnblockResult:
    message: str
    unblocked: int
    not_found: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolResult:
    message: str
    added: int
    already_in_campaign: int
    blocked: int  # blocked right now, enrolled all the same
    duplicates: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockState:
    """The block in force on a lead: its scope (workspace, company or campaign)."""

    scope: str
    reason: str | None
    expires_at: dt.datetime | None
    company_block_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignLead:
    id: str
    public_identifier: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    company_linkedin: str | None = field(metadata=COMPANY_LINKEDIN)
    company_domain: str | None
    status: str  # pending, leased or dispatched
    blocked: BlockState | None
    created_at: dt.datetime
    claim_id: str | None
    lease_expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchResult:
    leads: tuple[CampaignLead, ...]  # empty: nothing is eligible now
    claim_id: str | None = None  # with lease_seconds
    lease_expires_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockedClaimLead(BlockState):
    """A lead of a claim that a block stopped at confirm time: back to pending, not to be
    messaged."""

    lead: CampaignLead


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmResult:
    confirmed: tuple[CampaignLead, ...]  # now dispatched: message exactly these
    blocked: tuple[BlockedClaimLead, ...]
    not_held: tuple[str, ...]  # ids this claim no longer holds


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseResult:
    released: int


# --- Company blocks ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyBlock:
    id: str | None  # None only in a dry run's answer, for a record that would be new
    kind: Literal["linkedinCompany", "domain"]
    value: str  # the canonical LinkedIn company slug or domain
    name: str | None
    reason: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyBlockResult:
    message: str
    blocked: int
    already_blocked: int
    extended: int
    duplicates: int
    companies: tuple[CompanyBlock, ...]  # one per distinct company, in request order
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyUnblockResult:
    message: str
    unblocked: int
    not_found: tuple[str, ...]
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyImportResult:
    message: str
    rows: int
    blocked: int
    already_blocked: int
    extended: int
    duplicates: int
    dry_run: bool = False


# --- Webhooks ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    id: str
    url: str
    events: tuple[str, ...]  # the event types it receives; empty: every type
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: dt.datetime
    failing_since: dt.datetime | None
    next_attempt_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookWithSecret(Webhook):
    """An endpoint as created or rotated: with its signing secret, shown this once."""

    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDelivery:
    id: str
    event_id: str  # also the delivery's webhook-id header
    type: str
    attempt: int
    status: Literal["pending", "succeeded", "failed"]
    response_status: int | None
    error: str | None
    at: dt.datetime
    next_attempt_at: dt.datetime | None


# --- Errors ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorItem:
    """One entry at fault in a refused request."""

    index: int  # -1 when it is no list entry
    value: Any
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorEnvelope:
    """The body of every error answer; raised as an `APIError` (errors.py)."""

    code: str
    message: str
    errors: tuple[ErrorItem, ...]
