"""Wire models: camelCase JSON in and out, WaLead's shapes first.

Request models are strict about types (a number is not an identifier) but leave the content
rules (canonical identifiers, reason length) to the services, which report every bad entry.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from leadblock.domain.records import BlockedLead, Event
from leadblock.domain.timestamps import iso
from leadblock.services.blocklist import CheckResult


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
