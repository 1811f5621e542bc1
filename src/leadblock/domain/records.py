"""The records leadblock keeps, as immutable values passed between layers.

Timestamps are UTC milliseconds since the Unix epoch (`*_at`), the unit the database stores;
the API renders them as ISO 8601 (`2026-11-24T13:59:19.123Z`).

Records made by the ten thousand per request are NamedTuples (immutable, and twice as fast to
build as frozen dataclasses); the few-per-request ones are frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Scope(StrEnum):
    WORKSPACE = "workspace"
    COMPANY = "company"
    CAMPAIGN = "campaign"


class EventType(StrEnum):
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    REASON_CHANGED = "reason_changed"
    # set, moved or cleared by hand (PATCH), or moved later by blocking again (never shorter)
    EXPIRY_CHANGED = "expiry_changed"
    EXPIRED = "expired"  # its `expiresAt` passed; recorded once, with no key


class SubjectKind(StrEnum):
    """What an event's subject names: a lead, or the company of a company block."""

    LEAD = "publicIdentifier"
    LINKEDIN_COMPANY = "linkedinCompany"
    DOMAIN = "domain"


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    # The compact key that leads every tenant table's rows and indexes; never shown.
    number: int
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    workspace_id: str
    name: str | None
    read_only: bool
    created_at: int
    revoked_at: int | None
    last_used_at: int | None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is making a request: the workspace is the scope of everything it may see."""

    workspace_id: str
    workspace: int  # Workspace.number: what the tenant tables are keyed by
    key_id: str | None  # None for the operator's CLI
    read_only: bool = False


class BlockedLead(NamedTuple):
    id: str
    public_identifier: str
    reason: str | None
    created_at: int
    expires_at: int | None = None  # None: permanent


class Event(NamedTuple):
    seq: int  # the trail's order is (seq, id): see migration 0011
    id: str
    type: EventType
    at: int
    key_id: str | None
    subject_kind: SubjectKind
    subject: str  # the lead's identifier, or the company block's value
    reason: str | None
    expires_at: int | None  # the block's expiry, as this event left it
    scope: Scope
    campaign_id: str | None


class LeadInput(NamedTuple):
    """One canonical lead of a write request, in request order."""

    public_identifier: str
    reason: str | None
    expires_at: int | None = None


class CompanyKind(StrEnum):
    LINKEDIN_COMPANY = "linkedinCompany"
    DOMAIN = "domain"


class CompanyBlock(NamedTuple):
    id: str
    kind: CompanyKind
    value: str  # canonical: a LinkedIn company slug, or a domain
    name: str | None
    reason: str | None
    created_at: int
    expires_at: int | None = None


class DeliveryStatus(StrEnum):
    SUCCEEDED = "succeeded"  # a 2xx answer within the timeout
    FAILED = "failed"  # anything else: tried again later, or the endpoint was disabled
    PENDING = "pending"  # the next attempt at the head event, not made yet (listed, not stored)


@dataclass(frozen=True, slots=True)
class Webhook:
    """An endpoint of a workspace, and where it stands in the audit trail."""

    id: str
    url: str
    event_types: frozenset[str] | None  # None: every type
    description: str | None
    enabled: bool
    disabled_reason: str | None
    secret: str
    previous_secret: str | None  # signs too until previous_secret_until (a rotation)
    previous_secret_until: int | None
    created_at: int
    position: tuple[int, str]  # (seq, id) of the last event it is done with
    attempt: int  # failed attempts at its head event
    failing_since: int | None
    next_attempt_at: int | None
    leased_by: str | None = None  # the server process delivering to it now, if any

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


class Delivery(NamedTuple):
    """One attempt to deliver one event to one endpoint."""

    id: str
    event_id: str
    type: str
    attempt: int
    status: DeliveryStatus
    response_status: int | None
    error: str | None
    at: int
    next_attempt_at: int | None


class LeadStatus(StrEnum):
    PENDING = "pending"
    LEASED = "leased"  # held by a claim until its lease ends (stored as pending with a lease)
    DISPATCHED = "dispatched"


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    created_at: int


class CampaignBlock(NamedTuple):
    campaign_id: str
    public_identifier: str
    reason: str | None
    created_at: int
    expires_at: int | None = None


class Contact(NamedTuple):
    """What a campaign knows of a lead besides its identifier; every field optional."""

    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    company_linkedin: str | None = None  # canonical LinkedIn company slug
    company_domain: str | None = None  # canonical domain


class CampaignLead(NamedTuple):
    id: str
    campaign_id: str
    public_identifier: str
    contact: Contact
    status: LeadStatus
    created_at: int
    # Only while `status` is LEASED: the claim that holds the lead, and when its lease ends.
    claim_id: str | None = None
    lease_expires_at: int | None = None
