"""Every operation of the API, once, as a function that builds its `Call`.

`Client` and `AsyncClient` expose each of these as a method of the same name and signature
(api.py), which sends the call and returns its value. Their docstrings are the methods'.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, Final, Literal

import httpx

from leadblock_client.calls import (
    Call,
    csv_call,
    json_of,
    list_reader,
    model_reader,
    no_value,
    path_of,
    read_call,
    text_of,
    write_call,
)
from leadblock_client.models import (
    AuditEvent,
    BlockedLead,
    BlockResult,
    Campaign,
    CampaignBlock,
    CampaignBlockResult,
    CampaignLead,
    CampaignLeadInput,
    CampaignUnblockResult,
    CheckAnswer,
    CheckItem,
    CheckResult,
    CompanyBlock,
    CompanyBlockResult,
    CompanyImportResult,
    CompanyInput,
    CompanyUnblockResult,
    ConfirmResult,
    DispatchResult,
    EnrolResult,
    EventType,
    ImportResult,
    LeadInput,
    ReleaseResult,
    Timestamp,
    UnblockResult,
    Webhook,
    WebhookDelivery,
    WebhookWithSecret,
)
from leadblock_client.paging import Page, page_reader
from leadblock_client.wire import camel, from_wire, timestamp, to_wire

BLOCKED_LEADS = "blocked-leads"
CAMPAIGNS = "campaigns"
COMPANY_BLOCKS = "company-blocks"
WEBHOOKS = "webhooks"


class Unset(enum.Enum):
    """The default of a PATCH field: left out of the request, so the server keeps the value
    (None would clear it)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def _patch(**fields: Any) -> dict[str, Any]:
    """A PATCH body: the fields given, by wire name; expiries as RFC 3339."""
    body = {}
    for name, value in fields.items():
        if value is UNSET:
            continue
        if name == "expires_at" and value is not None:
            value = timestamp(value)
        body[camel(name)] = value
    return body


def _leads(leads: Iterable[str | LeadInput | CampaignLeadInput]) -> list[dict[str, Any]]:
    """Lead entries: a bare identifier or URL is a lead with nothing else said of it."""
    return [
        {"publicIdentifier": lead} if isinstance(lead, str) else to_wire(lead) for lead in leads
    ]


def _check_results(response: httpx.Response) -> tuple[CheckResult, ...]:
    return from_wire(CheckAnswer, json_of(response)).results


# --- Workspace blocklist -----------------------------------------------------------------------
def block_leads(leads: Iterable[str | LeadInput], *, dry_run: bool = False) -> Call[BlockResult]:
    """Block leads for the whole workspace: identifiers, profile URLs or `LeadInput`s (1 to
    10,000). All or nothing: one invalid entry is a `ValidationError` listing every bad entry,
    and nothing is written. An already blocked lead keeps its record; its expiry only moves
    later. With `dry_run`, the same answer and nothing written."""
    body = {"leads": _leads(leads)}
    return write_call("POST", f"/{BLOCKED_LEADS}", model_reader(BlockResult), body, dryRun=dry_run)


def list_blocked_leads(
    *,
    limit: int | None = None,
    cursor: str | None = None,
    offset: int | None = None,
    sort: Literal["ASC", "DESC"] | None = None,
    search: str | None = None,
) -> Call[Page[BlockedLead]]:
    """One page of the workspace's blocked leads, newest first unless `sort="ASC"`; `search`
    is a case-insensitive substring of identifier or reason."""
    return read_call(
        "GET",
        f"/{BLOCKED_LEADS}",
        page_reader(BlockedLead),
        limit=limit,
        cursor=cursor,
        offset=offset,
        sort=sort,
        search=search,
    )


def get_blocked_lead(lead_id: str) -> Call[BlockedLead]:
    """One blocked lead by record id (`NotFoundError` if it is no record of this workspace)."""
    return read_call("GET", path_of(BLOCKED_LEADS, lead_id), model_reader(BlockedLead))


def update_blocked_lead(
    lead_id: str,
    *,
    reason: str | Unset | None = UNSET,
    expires_at: Timestamp | Unset | None = UNSET,
) -> Call[BlockedLead]:
    """Set a block's reason and/or expiry exactly as given (an explicit expiry may shorten it;
    None makes it permanent); what is not given stays as it is."""
    body = _patch(reason=reason, expires_at=expires_at)
    return write_call("PATCH", path_of(BLOCKED_LEADS, lead_id), model_reader(BlockedLead), body)


def unblock_lead(lead_id: str) -> Call[None]:
    """Unblock one lead by record id."""
    return write_call("DELETE", path_of(BLOCKED_LEADS, lead_id), no_value)


def unblock_leads(
    *,
    ids: Iterable[str] = (),
    public_identifiers: Iterable[str] = (),
    dry_run: bool = False,
) -> Call[UnblockResult]:
    """Unblock leads by record id and/or identifier. Ids that are no record of this workspace
    are in `not_found`; an invalid identifier is a `ValidationError` and nothing is removed."""
    body = {"ids": list(ids), "publicIdentifiers": list(public_identifiers)}
    return write_call(
        "DELETE", f"/{BLOCKED_LEADS}", model_reader(UnblockResult), body, dryRun=dry_run
    )


def check_leads(
    inputs: Iterable[str | CheckItem], *, campaign_id: str | None = None
) -> Call[tuple[CheckResult, ...]]:
    """Whether each of 1 to 10,000 identifiers, URLs or `CheckItem`s (a lead with its company)
    may be messaged now, in input order. Message only where `contactable` is true. An input
    that cannot be judged gets `blocked` None and an `error`; `campaign_id` adds that
    campaign's blocks (unknown: `NotFoundError`)."""
    items = [item if isinstance(item, str) else to_wire(item) for item in inputs]
    body: dict[str, Any] = {"publicIdentifiers": items}
    if campaign_id is not None:
        body["campaignId"] = campaign_id
    return read_call("POST", f"/{BLOCKED_LEADS}/check", _check_results, body)


def check_lead(public_identifier: str, *, campaign_id: str | None = None) -> Call[CheckResult]:
    """`check_leads` for one identifier or URL."""
    return read_call(
        "GET",
        f"/{BLOCKED_LEADS}/check",
        lambda response: _check_results(response)[0],
        publicIdentifier=public_identifier,
        campaignId=campaign_id,
    )


def export_blocked_leads() -> Call[str]:
    """The whole blocklist as CSV text (`publicIdentifier,reason,createdAt,id,expiresAt`),
    oldest first; `import_blocked_leads` reads it back."""
    return read_call("GET", f"/{BLOCKED_LEADS}/export", text_of)


def import_blocked_leads(csv: str | bytes, *, dry_run: bool = False) -> Call[ImportResult]:
    """Block every row of a CSV file (a header naming `publicIdentifier`, optionally `reason`
    and `expiresAt`; up to 1,000,000 rows). All or nothing, like `block_leads`."""
    return csv_call(f"/{BLOCKED_LEADS}/import", model_reader(ImportResult), csv, dryRun=dry_run)


def list_events(
    *,
    event_type: EventType | None = None,
    public_identifier: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    offset: int | None = None,
) -> Call[Page[AuditEvent]]:
    """One page of the audit trail, newest first: every block, unblock, reason or expiry
    change and expiry, with the id of the key that made it."""
    return read_call(
        "GET",
        f"/{BLOCKED_LEADS}/events",
        page_reader(AuditEvent),
        type=event_type,
        publicIdentifier=public_identifier,
        limit=limit,
        cursor=cursor,
        offset=offset,
    )


# --- Campaigns ---------------------------------------------------------------------------------
def create_campaign(name: str) -> Call[Campaign]:
    """A new campaign (a retried creation never makes a second one)."""
    return write_call("POST", f"/{CAMPAIGNS}", model_reader(Campaign), {"name": name})


def list_campaigns(
    *, limit: int | None = None, cursor: str | None = None, offset: int | None = None
) -> Call[Page[Campaign]]:
    """One page of the workspace's campaigns, newest first."""
    return read_call(
        "GET", f"/{CAMPAIGNS}", page_reader(Campaign), limit=limit, cursor=cursor, offset=offset
    )


def get_campaign(campaign_id: str) -> Call[Campaign]:
    """One campaign."""
    return read_call("GET", path_of(CAMPAIGNS, campaign_id), model_reader(Campaign))


def delete_campaign(campaign_id: str) -> Call[None]:
    """Delete a campaign with its leads and campaign blocks; its audit events stay."""
    return write_call("DELETE", path_of(CAMPAIGNS, campaign_id), no_value)


def block_in_campaign(
    campaign_id: str,
    public_identifiers: Iterable[str],
    *,
    reason: str | None = None,
    expires_at: Timestamp | None = None,
    dry_run: bool = False,
) -> Call[CampaignBlockResult]:
    """Block leads for this campaign only, with one reason and expiry for them all. All or
    nothing; an already blocked lead's expiry only moves later."""
    body = {
        "publicIdentifiers": list(public_identifiers),
        "reason": reason,
        "expiresAt": None if expires_at is None else timestamp(expires_at),
    }
    path = path_of(CAMPAIGNS, campaign_id, BLOCKED_LEADS)
    return write_call("POST", path, model_reader(CampaignBlockResult), body, dryRun=dry_run)


def list_campaign_blocks(
    campaign_id: str,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    skip: int | None = None,
    take: int | None = None,
) -> Call[Page[CampaignBlock]]:
    """One page of the campaign's own blocks, newest first: by `limit`/`cursor`, or by
    WaLead's `skip`/`take` (not both)."""
    return read_call(
        "GET",
        path_of(CAMPAIGNS, campaign_id, BLOCKED_LEADS),
        page_reader(CampaignBlock),
        limit=limit,
        cursor=cursor,
        skip=skip,
        take=take,
    )


def unblock_in_campaign(
    campaign_id: str, public_identifiers: Iterable[str]
) -> Call[CampaignUnblockResult]:
    """Remove campaign blocks (a workspace block of the same lead stays in force)."""
    body = {"publicIdentifiers": list(public_identifiers)}
    path = path_of(CAMPAIGNS, campaign_id, BLOCKED_LEADS)
    return write_call("DELETE", path, model_reader(CampaignUnblockResult), body)


def enrol_leads(campaign_id: str, leads: Iterable[str | CampaignLeadInput]) -> Call[EnrolResult]:
    """Enrol up to 10,000 prospects (identifiers, URLs or `CampaignLeadInput`s). Blocked ones
    are enrolled too and wait, pending, until unblocked."""
    body = {"leads": _leads(leads)}
    return write_call(
        "POST", path_of(CAMPAIGNS, campaign_id, "leads"), model_reader(EnrolResult), body
    )


def list_campaign_leads(
    campaign_id: str,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    offset: int | None = None,
) -> Call[Page[CampaignLead]]:
    """One page of the campaign's leads in enrolment order, each with its status and the
    block in force now."""
    return read_call(
        "GET",
        path_of(CAMPAIGNS, campaign_id, "leads"),
        page_reader(CampaignLead),
        limit=limit,
        cursor=cursor,
        offset=offset,
    )


def dispatch_leads(
    campaign_id: str, *, limit: int | None = None, lease_seconds: int | None = None
) -> Call[DispatchResult]:
    """Claim up to `limit` (1–1000, default 100) leads blocked at no level now. With
    `lease_seconds` (10–86,400) they are leased to a new claim (`claim_id`) until confirmed,
    released or the lease runs out; without, they are marked dispatched at once. A retry
    gets the same claim, never a second batch."""
    body = {
        name: value
        for name, value in (("limit", limit), ("leaseSeconds", lease_seconds))
        if value is not None
    }
    path = path_of(CAMPAIGNS, campaign_id, "dispatch")
    return write_call("POST", path, model_reader(DispatchResult), body)


def confirm_claim(
    campaign_id: str, claim_id: str, lead_ids: Iterable[str] | None = None
) -> Call[ConfirmResult]:
    """The gate's last word before messaging: each lead (default: all) the claim holds
    becomes dispatched if no block applies now (`confirmed`: message exactly these), else goes
    back to pending (`blocked`)."""
    body = {} if lead_ids is None else {"leadIds": list(lead_ids)}
    path = path_of(CAMPAIGNS, campaign_id, "claims", claim_id, "confirm")
    return write_call("POST", path, model_reader(ConfirmResult), body)


def release_claim(
    campaign_id: str, claim_id: str, lead_ids: Iterable[str] | None = None
) -> Call[ReleaseResult]:
    """Put leads (default: all) of the claim back to pending now, for the next dispatch."""
    body = {} if lead_ids is None else {"leadIds": list(lead_ids)}
    path = path_of(CAMPAIGNS, campaign_id, "claims", claim_id, "release")
    return write_call("POST", path, model_reader(ReleaseResult), body)


# --- Company blocks ----------------------------------------------------------------------------
def block_companies(
    companies: Iterable[CompanyInput], *, dry_run: bool = False
) -> Call[CompanyBlockResult]:
    """Block companies for every campaign, by LinkedIn company page or by domain (a domain
    also stops its subdomains). All or nothing; an expiry only ever moves later."""
    body = {"companies": [to_wire(company) for company in companies]}
    path = f"/{COMPANY_BLOCKS}"
    return write_call("POST", path, model_reader(CompanyBlockResult), body, dryRun=dry_run)


def list_company_blocks(
    *,
    limit: int | None = None,
    cursor: str | None = None,
    offset: int | None = None,
    search: str | None = None,
) -> Call[Page[CompanyBlock]]:
    """One page of the company blocks, newest first; `search` matches value, name or reason."""
    return read_call(
        "GET",
        f"/{COMPANY_BLOCKS}",
        page_reader(CompanyBlock),
        limit=limit,
        cursor=cursor,
        offset=offset,
        search=search,
    )


def get_company_block(block_id: str) -> Call[CompanyBlock]:
    """One company block by record id."""
    return read_call("GET", path_of(COMPANY_BLOCKS, block_id), model_reader(CompanyBlock))


def update_company_block(
    block_id: str,
    *,
    name: str | Unset | None = UNSET,
    reason: str | Unset | None = UNSET,
    expires_at: Timestamp | Unset | None = UNSET,
) -> Call[CompanyBlock]:
    """Set a company block's name, reason and/or expiry exactly as given; what is not given
    stays as it is."""
    body = _patch(name=name, reason=reason, expires_at=expires_at)
    path = path_of(COMPANY_BLOCKS, block_id)
    return write_call("PATCH", path, model_reader(CompanyBlock), body)


def unblock_company(block_id: str) -> Call[None]:
    """Unblock one company by record id."""
    return write_call("DELETE", path_of(COMPANY_BLOCKS, block_id), no_value)


def unblock_companies(
    *,
    ids: Iterable[str] = (),
    linkedin_companies: Iterable[str] = (),
    domains: Iterable[str] = (),
    dry_run: bool = False,
) -> Call[CompanyUnblockResult]:
    """Unblock companies by record id, LinkedIn company or domain; unknown ones are in
    `not_found`. A domain is unblocked only by its own block."""
    body = {
        "ids": list(ids),
        "linkedinCompanies": list(linkedin_companies),
        "domains": list(domains),
    }
    path = f"/{COMPANY_BLOCKS}"
    return write_call("DELETE", path, model_reader(CompanyUnblockResult), body, dryRun=dry_run)


def export_company_blocks() -> Call[str]:
    """Every company block as CSV text (`kind,value,name,reason,expiresAt,createdAt,id`)."""
    return read_call("GET", f"/{COMPANY_BLOCKS}/export", text_of)


def import_company_blocks(csv: str | bytes, *, dry_run: bool = False) -> Call[CompanyImportResult]:
    """Block every company of a CSV file (`kind,value`, optionally `name,reason,expiresAt`; up
    to 100,000 rows), all or nothing."""
    return csv_call(
        f"/{COMPANY_BLOCKS}/import", model_reader(CompanyImportResult), csv, dryRun=dry_run
    )


# --- Webhooks ----------------------------------------------------------------------------------
def create_webhook(
    url: str, *, events: Iterable[EventType] | None = None, description: str | None = None
) -> Call[WebhookWithSecret]:
    """Add an endpoint that receives every event recorded from now on (of `events`; all by
    default), signed with the `secret` this answer shows once."""
    body = {
        "url": url,
        "events": None if events is None else list(events),
        "description": description,
    }
    return write_call("POST", f"/{WEBHOOKS}", model_reader(WebhookWithSecret), body)


def list_webhooks() -> Call[tuple[Webhook, ...]]:
    """The workspace's endpoints, oldest first (never their secrets)."""
    return read_call("GET", f"/{WEBHOOKS}", list_reader(Webhook))


def get_webhook(webhook_id: str) -> Call[Webhook]:
    """One endpoint."""
    return read_call("GET", path_of(WEBHOOKS, webhook_id), model_reader(Webhook))


def update_webhook(
    webhook_id: str,
    *,
    url: str | Unset = UNSET,
    events: Iterable[EventType] | Unset | None = UNSET,
    description: str | Unset | None = UNSET,
    enabled: bool | Unset = UNSET,
) -> Call[Webhook]:
    """Change what is given. `enabled=False` stops deliveries; `enabled=True` resumes them at
    the first event not delivered yet."""
    if events is not UNSET and events is not None:
        events = list(events)
    body = _patch(url=url, events=events, description=description, enabled=enabled)
    return write_call("PATCH", path_of(WEBHOOKS, webhook_id), model_reader(Webhook), body)


def delete_webhook(webhook_id: str) -> Call[None]:
    """Delete an endpoint and its delivery log."""
    return write_call("DELETE", path_of(WEBHOOKS, webhook_id), no_value)


def rotate_webhook_secret(webhook_id: str) -> Call[WebhookWithSecret]:
    """A new secret, shown once; for 24 hours deliveries are signed with both."""
    path = path_of(WEBHOOKS, webhook_id, "rotate-secret")
    return write_call("POST", path, model_reader(WebhookWithSecret))


def list_webhook_deliveries(
    webhook_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[WebhookDelivery]]:
    """One page of the endpoint's delivery attempts, newest first."""
    return read_call(
        "GET",
        path_of(WEBHOOKS, webhook_id, "deliveries"),
        page_reader(WebhookDelivery),
        limit=limit,
        cursor=cursor,
    )


def test_webhook(webhook_id: str) -> Call[WebhookDelivery]:
    """Send a `webhook.test` event to the endpoint now and return the attempt. Never replayed
    by the server, so never sent twice by the client either."""
    path = path_of(WEBHOOKS, webhook_id, "test")
    return write_call("POST", path, model_reader(WebhookDelivery), keyed=False)
