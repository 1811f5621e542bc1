"""Wire models: camelCase JSON in and out, WaLead's shapes first.

Request models are strict about types (a number is not an identifier) but leave the content
rules (canonical identifiers, reason length) to the services, which report every bad entry.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from leadblock.domain.records import BlockedLead, Campaign, CampaignBlock, Event
from leadblock.domain.timestamps import iso
from leadblock.services.blocklist import CheckResult
from leadblock.services.campaigns import LeadView


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", strict=True
    )


class LeadIn(WireModel):
    public_identifier: str = Field(
        description="Public identifier or LinkedIn profile URL", examples=["john-doe"]
    )
    reason: str | None = Field(default=None, description="Why; trimmed, at most 500 characters")


class BlockRequest(WireModel):
    leads: list[LeadIn] = Field(min_length=1, description="1 to 10,000 leads")


class BlockedLeadOut(WireModel):
    id: str
    public_identifier: str
    reason: str | None
    created_at: str
    workspace_id: str


class BlockResponse(WireModel):
    success: bool = True
    message: str
    blocked: int = Field(description="How many leads were newly blocked")
    already_blocked: int
    duplicates: int
    leads: list[BlockedLeadOut]


class ImportResponse(WireModel):
    success: bool = True
    message: str
    rows: int
    blocked: int
    already_blocked: int
    duplicates: int


class ReasonUpdate(WireModel):
    reason: str | None


class UnblockRequest(WireModel):
    ids: list[str] = Field(default_factory=list)
    public_identifiers: list[str] = Field(default_factory=list)


class UnblockResponse(WireModel):
    success: bool = True
    message: str
    unblocked: int
    not_found: list[str]


class CheckRequest(WireModel):
    public_identifiers: list[str]
    campaign_id: str | None = None


class CheckResultOut(WireModel):
    input: str
    public_identifier: str | None
    blocked: bool | None
    scope: str | None
    reason: str | None
    blocked_at: str | None
    error: str | None = None


class CheckResponse(WireModel):
    success: bool = True
    results: list[CheckResultOut]


class EventOut(WireModel):
    id: str
    type: str = Field(description="blocked, unblocked or reason_changed")
    at: str
    key_id: str | None = Field(description="Id of the API key that acted; null for the CLI")
    public_identifier: str
    reason: str | None
    scope: str
    campaign_id: str | None


class SuccessResponse(WireModel):
    success: bool = True
    message: str


class ItemErrorOut(WireModel):
    index: int
    value: Any = None
    message: str


class ErrorResponse(WireModel):
    success: bool = False
    message: str
    errors: list[ItemErrorOut] | None = None


def blocked_lead_json(lead: BlockedLead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "publicIdentifier": lead.public_identifier,
        "reason": lead.reason,
        "createdAt": iso(lead.created_at),
        "workspaceId": lead.workspace_id,
    }


def check_result_json(result: CheckResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input": result.input,
        "publicIdentifier": result.public_identifier,
        "blocked": result.blocked,
        "scope": result.scope.value if result.scope else None,
        "reason": result.reason,
        "blockedAt": iso(result.blocked_at) if result.blocked_at is not None else None,
    }
    if result.error is not None:
        body["error"] = result.error
    return body


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type.value,
        "at": iso(event.at),
        "keyId": event.key_id,
        "publicIdentifier": event.public_identifier,
        "reason": event.reason,
        "scope": event.scope.value,
        "campaignId": event.campaign_id,
    }


class CampaignIn(WireModel):
    name: str = Field(description="1–200 characters")


class CampaignOut(WireModel):
    id: str
    name: str
    created_at: str


class CampaignCreated(CampaignOut):
    success: bool = True
    message: str


class CampaignBlockRequest(WireModel):
    public_identifiers: list[str] = Field(description="1 to 10,000 identifiers or profile URLs")
    reason: str | None = None


class CampaignBlockResponse(WireModel):
    success: bool = True
    message: str
    blocked: int
    already_blocked: int
    duplicates: int


class CampaignBlockOut(WireModel):
    public_identifier: str
    reason: str | None
    created_at: str


class CampaignUnblockRequest(WireModel):
    public_identifiers: list[str] = Field(description="Public identifiers or profile URLs")


class CampaignUnblockResponse(WireModel):
    success: bool = True
    message: str
    unblocked: int
    not_found: list[str]


class CampaignLeadIn(WireModel):
    public_identifier: str
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str | None = None


class EnrolRequest(WireModel):
    leads: list[CampaignLeadIn] = Field(min_length=1, description="1 to 10,000 leads")


class EnrolResponse(WireModel):
    success: bool = True
    message: str
    added: int
    already_in_campaign: int
    blocked: int = Field(description="Leads of the request blocked right now (still enrolled)")
    duplicates: int


class BlockStateOut(WireModel):
    scope: str
    reason: str | None


class CampaignLeadOut(WireModel):
    id: str
    public_identifier: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    status: str = Field(description="pending or dispatched")
    blocked: BlockStateOut | None
    created_at: str


class DispatchRequest(WireModel):
    limit: int = Field(default=100, ge=1, le=1000)


class DispatchResponse(WireModel):
    success: bool = True
    leads: list[CampaignLeadOut]


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "createdAt": iso(campaign.created_at)}


def campaign_block_json(block: CampaignBlock) -> dict[str, Any]:
    return {
        "publicIdentifier": block.public_identifier,
        "reason": block.reason,
        "createdAt": iso(block.created_at),
    }


def campaign_lead_json(view: LeadView) -> dict[str, Any]:
    lead, block = view.lead, view.block
    return {
        "id": lead.id,
        "publicIdentifier": lead.public_identifier,
        "firstName": lead.contact.first_name,
        "lastName": lead.contact.last_name,
        "companyName": lead.contact.company_name,
        "email": lead.contact.email,
        "status": lead.status.value,
        "blocked": {"scope": block.scope.value, "reason": block.reason} if block else None,
        "createdAt": iso(lead.created_at),
    }
