"""A Python client for leadblock, the "do not contact" list for LinkedIn outreach.

    from leadblock_client import Client

    with Client("http://127.0.0.1:8000", "lb_…") as client:
        client.block_leads(["https://www.linkedin.com/in/john-doe/"])
        for lead in client.iter_blocked_leads(search="john"):
            print(lead.public_identifier, lead.created_at)

`AsyncClient` has the same methods as coroutines. Answers are frozen dataclasses (models.py),
errors one exception tree (errors.py), retries safe for writes (retries.py).
"""

from leadblock_client.clients import AsyncClient, Client
from leadblock_client.endpoints import UNSET, Unset
from leadblock_client.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    IdempotencyKeyReusedError,
    LeadblockError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnavailableError,
    UnexpectedResponseError,
    ValidationError,
)
from leadblock_client.models import (
    AuditEvent,
    BlockedClaimLead,
    BlockedLead,
    BlockResult,
    BlockState,
    Campaign,
    CampaignBlock,
    CampaignBlockResult,
    CampaignLead,
    CampaignLeadInput,
    CampaignUnblockResult,
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
    ErrorItem,
    EventType,
    ImportResult,
    LeadInput,
    ReleaseResult,
    UnblockResult,
    Webhook,
    WebhookDelivery,
    WebhookWithSecret,
)
from leadblock_client.paging import Page
from leadblock_client.retries import Retry, RetryNotice
from leadblock_client.sending import SendSummary
from leadblock_client.version import VERSION

__version__ = VERSION

__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIError",
    "AsyncClient",
    "AuditEvent",
    "AuthenticationError",
    "BlockResult",
    "BlockState",
    "BlockedClaimLead",
    "BlockedLead",
    "Campaign",
    "CampaignBlock",
    "CampaignBlockResult",
    "CampaignLead",
    "CampaignLeadInput",
    "CampaignUnblockResult",
    "CheckItem",
    "CheckResult",
    "Client",
    "CompanyBlock",
    "CompanyBlockResult",
    "CompanyImportResult",
    "CompanyInput",
    "CompanyUnblockResult",
    "ConfirmResult",
    "ConflictError",
    "DispatchResult",
    "EnrolResult",
    "ErrorItem",
    "EventType",
    "IdempotencyKeyReusedError",
    "ImportResult",
    "LeadInput",
    "LeadblockError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitedError",
    "ReleaseResult",
    "Retry",
    "RetryNotice",
    "SendSummary",
    "ServerError",
    "UnavailableError",
    "UnblockResult",
    "UnexpectedResponseError",
    "Unset",
    "ValidationError",
    "Webhook",
    "WebhookDelivery",
    "WebhookWithSecret",
    "__version__",
]
