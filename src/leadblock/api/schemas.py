"""Wire models: camelCase JSON in and out, WaLead's shapes first.

Request models are strict about types (a number is not an identifier). The content rules
(canonical identifiers, reason length, the size of a batch) are the services': they check every
entry of a batch and report each bad one, which a refusal here would cut short. So the models
*declare* those rules in the OpenAPI document (`json_schema_extra`, not enforced twice), and
enforce here only what no service checks (a check request's minimum size, a campaign name's raw
length and characters, an integral float where an integer is due). Either way the document states
exactly what the server enforces, no more and no less: tests/api/test_fuzz.py holds the server to
it with schemathesis, in both directions.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, NotRequired, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    with_config,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypedDict

from leadblock.domain.blocking import ActiveBlock
from leadblock.domain.contacts import MAX_EMAIL_LENGTH
from leadblock.domain.contacts import MAX_NAME_LENGTH as MAX_CONTACT_NAME_LENGTH
from leadblock.domain.identifiers import MAX_INPUT_LENGTH as MAX_IDENTIFIER_INPUT
from leadblock.domain.labels import MAX_LABEL_LENGTH as MAX_NAME_LENGTH
from leadblock.domain.reasons import CONTROL_BUT_LF_TAB, MAX_REASON_LENGTH
from leadblock.domain.records import (
    BlockedLead,
    Campaign,
    CampaignBlock,
    CompanyBlock,
)
from leadblock.domain.timestamps import iso, optional_iso
from leadblock.domain.webhooks import MAX_URL_LENGTH as MAX_WEBHOOK_URL_LENGTH
from leadblock.services.blocklist import MAX_LEADS_PER_REQUEST, CheckResult
from leadblock.services.campaigns import LeadView
from leadblock.services.webhooks import EVENT_TYPES
from leadblock.web.errors import CODES

# --- Text rules as JSON Schema patterns --------------------------------------------------------
# The services trim with Python's `str.strip()`, whose whitespace (`str.isspace`) is spelled out
# here: JSON Schema's `\s` (ECMA-262) is another set. Each pattern is valid, and means the same,
# in ECMA-262, Python's `re` and Rust's `regex` (what validators, Hypothesis and pydantic use).
SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
CONTROL = r"\x00-\x1f\x7f-\x9f"  # Unicode Cc
# Neither whitespace nor a control character: not in SPACE, not in CONTROL.
VISIBLE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def trimmed_text_pattern(max_length: int, forbidden: str, *, required: bool = False) -> str:
    """Text that, trimmed of surrounding whitespace, has at most `max_length` characters and
    none of `forbidden` (whitespace-only text trims to nothing, allowed unless `required`).

    Whitespace, then nothing or one visible character optionally followed by at most
    `max_length - 2` allowed ones and a visible last one, then whitespace: the visible ends are
    exactly where trimming stops, so the middle part is the trimmed text.
    """
    trimmed = rf"{VISIBLE}(?:[^{forbidden}]{{0,{max_length - 2}}}{VISIBLE})?"
    return rf"^[{SPACE}]*{trimmed if required else f'(?:{trimmed})?'}[{SPACE}]*$"


# A reason: SPEC "trimmed of surrounding whitespace, ≤ 500 characters, empty → null; line feeds
# and tabs inside are kept, any other control character is a 400" (domain/reasons.py).
REASON_PATTERN = trimmed_text_pattern(MAX_REASON_LENGTH, CONTROL_BUT_LF_TAB)
# A contact field (first, last or company name): trimmed, ≤ 200, no control character at all
# (domain/contacts.py).
CONTACT_NAME_PATTERN = trimmed_text_pattern(MAX_CONTACT_NAME_LENGTH, CONTROL)
# A name (campaign, webhook description): SPEC "1–200 characters after trimming, control
# characters refused as for reasons" (domain/labels.py).
NAME_PATTERN = trimmed_text_pattern(MAX_NAME_LENGTH, CONTROL_BUT_LF_TAB, required=True)
_NAME = re.compile(NAME_PATTERN)

# A query text the database can hold: PostgreSQL text has no NUL.
NO_NUL = r"^[^\x00]*$"

# Custom string formats: rules no JSON Schema keyword can state. tests/api/test_fuzz.py gives
# schemathesis a generator of valid values for each.
IDENTIFIER_FORMAT = "linkedin-identifier"
EMAIL_FORMAT = "lead-email"
CURSOR_FORMAT = "page-cursor"
CSV_FORMAT = "blocklist-csv"
COMPANY_CSV_FORMAT = "company-blocklist-csv"
LINKEDIN_COMPANY_FORMAT = "linkedin-company"
DOMAIN_FORMAT = "company-domain"
EXPIRY_FORMAT = "future-date-time"
# An absolute https (or allowed http) URL whose host resolves to public addresses or is one the
# server allows: a rule about where the host points, which no schema can state.
WEBHOOK_URL_FORMAT = "webhook-url"
IDENTIFIER_RULES = (
    "A LinkedIn public identifier (`john-doe`) or profile URL "
    "(`https://www.linkedin.com/in/john-doe/`), canonicalised: trimmed; a URL "
    "must be on linkedin.com or a subdomain of it, its path `/in/<id>` (or `/mwlite/in/<id>`, "
    "`/mwlite/profile/in/<id>`); the identifier is percent-decoded once, NFC, lower-cased, "
    "3–100 characters, each a letter, combining mark, digit, `-`, `_` or emoji. At most "
    f"{MAX_IDENTIFIER_INPUT:,} characters as sent. Answers carry the canonical identifier."
)
EMAIL_RULES = (
    "An e-mail address as leadblock checks it: trimmed of surrounding whitespace, at most "
    f"{MAX_EMAIL_LENGTH} characters, text before one `@`, a domain with a dot between two "
    "characters, no whitespace or control character. Empty or whitespace-only means none."
)
CURSOR_RULES = (
    "The `X-Next-Cursor` of the previous page of this same list, in the same sort order (a "
    "cursor is opaque: one the service did not issue is a 400); not together with an `offset` "
    "other than 0."
)
CSV_RULES = (
    "UTF-8 CSV (a BOM is ignored): a header row naming a `publicIdentifier` column and optionally "
    "`reason` and `expiresAt` columns (any order, other columns ignored), then 1 to 1,000,000 "
    "data rows (blank rows skipped), each a valid identifier or profile URL, a valid reason and "
    "an empty or valid expiry. A cell that export prefixed with `'` (a would-be formula) has it "
    "removed."
)
COMPANY_CSV_RULES = (
    "UTF-8 CSV (a BOM is ignored): a header row naming `kind` and `value` columns and optionally "
    "`name`, `reason` and `expiresAt` (any order, other columns ignored), then 1 to 100,000 data "
    "rows (blank rows skipped): `kind` is `linkedinCompany` or `domain`, `value` a company of "
    "that kind, the rest as in `POST /company-blocks`. A cell that export prefixed with `'` has "
    "it removed."
)
LINKEDIN_COMPANY_RULES = (
    "A LinkedIn company page: its slug (`acme-corp`, or a numeric id) or any everyday "
    "`linkedin.com/company/<slug>` URL (any linkedin.com host, query and further path ignored), "
    "canonicalised: percent-decoded once, NFC, lower-cased, 1–100 characters, each a letter, "
    "combining mark, digit, `-`, `_` or `.`. `/school/` and `/showcase/` pages are refused. At "
    f"most {MAX_IDENTIFIER_INPUT:,} characters as sent."
)
DOMAIN_RULES = (
    "An internet domain, given as `acme.com`, `@acme.com`, `jane@acme.com` or a URL "
    "(`https://www.acme.com/x`), canonicalised: lower case, IDNA to ASCII (punycode), one leading "
    "`www.` and a trailing dot removed; a host name with a dot, no IP address. A domain block "
    f"also matches every subdomain. At most {MAX_IDENTIFIER_INPUT:,} characters as sent."
)
EXPIRY_RULES = (
    "When the block ends: an RFC 3339 date and time with `Z` or an offset "
    "(`2027-03-01T00:00:00Z`), in the future, at most 100 years ahead; null or absent: never."
)
Identifier = Annotated[
    str,
    Field(
        description=IDENTIFIER_RULES,
        examples=["john-doe"],
        json_schema_extra={
            "format": IDENTIFIER_FORMAT,
            "minLength": 1,
            "maxLength": MAX_IDENTIFIER_INPUT,
        },
    ),
]
Reason = Annotated[
    str,
    Field(
        description=(
            f"Why. Trimmed of surrounding whitespace, then at most {MAX_REASON_LENGTH} "
            "characters; no control character except line feed and tab; empty means none."
        ),
        json_schema_extra={"pattern": REASON_PATTERN},
    ),
]
ContactName = Annotated[
    str,
    Field(
        description=(
            f"Trimmed of surrounding whitespace, then at most {MAX_CONTACT_NAME_LENGTH} "
            "characters and no control character; empty means none."
        ),
        json_schema_extra={"pattern": CONTACT_NAME_PATTERN},
    ),
]
Email = Annotated[str, Field(description=EMAIL_RULES, json_schema_extra={"format": EMAIL_FORMAT})]
LinkedinCompany = Annotated[
    str,
    Field(
        description=LINKEDIN_COMPANY_RULES,
        examples=["acme-corp"],
        json_schema_extra={
            "format": LINKEDIN_COMPANY_FORMAT,
            "minLength": 1,
            "maxLength": MAX_IDENTIFIER_INPUT,
        },
    ),
]
Domain = Annotated[
    str,
    Field(
        description=DOMAIN_RULES,
        examples=["acme.com"],
        json_schema_extra={
            "format": DOMAIN_FORMAT,
            "minLength": 1,
            "maxLength": MAX_IDENTIFIER_INPUT,
        },
    ),
]
Expiry = Annotated[
    str,
    Field(
        description=EXPIRY_RULES,
        examples=["2027-03-01T00:00:00Z"],
        json_schema_extra={"format": EXPIRY_FORMAT},
    ),
]
# A lead's company, as enrolment takes it: empty or whitespace-only means none (as for the other
# contact fields); anything else must name a company.
LeadLinkedinCompany = Annotated[
    str,
    Field(
        description=LINKEDIN_COMPANY_RULES + " Empty means none.",
        json_schema_extra={"format": LINKEDIN_COMPANY_FORMAT, "maxLength": MAX_IDENTIFIER_INPUT},
    ),
]
LeadDomain = Annotated[
    str,
    Field(
        description=DOMAIN_RULES + " Empty means none.",
        json_schema_extra={"format": DOMAIN_FORMAT, "maxLength": MAX_IDENTIFIER_INPUT},
    ),
]
EXPIRES_AT_OUT = "When the block ends (it no longer applies from that instant); null: never"


def _batch(minimum: int, what: str) -> Any:
    """A batch's size, declared: the services refuse a batch outside it (with their message)."""
    return Field(
        description=f"{minimum:,} to {MAX_LEADS_PER_REQUEST:,} {what}",
        json_schema_extra={"minItems": minimum, "maxItems": MAX_LEADS_PER_REQUEST},
    )


def _name_rule(name: str) -> str:
    # The pattern, enforced with a message people can read (pydantic's would quote the regex).
    if not _NAME.fullmatch(name):
        if len(name.strip()) > MAX_NAME_LENGTH:
            raise ValueError(f"at most {MAX_NAME_LENGTH} characters once trimmed")
        raise ValueError(
            "a name needs a character that is not a space, and no control character "
            "(other than line feed and tab)"
        )
    return name


def _integral(value: Any) -> Any:
    """JSON Schema counts 42.0 as an integer: take a float with no fractional part as one."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", strict=True
    )


class LeadIn(WireModel):
    public_identifier: Identifier
    reason: Reason | None = None
    expires_at: Expiry | None = None


class BlockRequest(WireModel):
    leads: Annotated[list[LeadIn], _batch(1, "leads")]


class BlockedLeadOut(WireModel):
    id: str | None = Field(
        description="Null only in a dry run's answer, for a record that would be new"
    )
    public_identifier: str
    reason: str | None
    created_at: str
    workspace_id: str
    expires_at: str | None = Field(description=EXPIRES_AT_OUT)


EXTENDED = (
    "Of `alreadyBlocked`, how many had an expiry that this request moved later (a block is "
    "never shortened by blocking again)"
)


class BlockResponse(WireModel):
    success: bool = True
    message: str
    blocked: int = Field(description="How many leads were newly blocked")
    already_blocked: int
    extended: int = Field(description=EXTENDED)
    duplicates: int
    leads: list[BlockedLeadOut]
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


class ImportResponse(WireModel):
    success: bool = True
    message: str
    rows: int
    blocked: int
    already_blocked: int
    extended: int = Field(description=EXTENDED)
    duplicates: int
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


PATCH_RULE = "Fields absent from the body stay as they are; null clears a field."


def patched(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH sent, by their Python names (those left out stay as they are)."""
    return {name: getattr(body, name) for name in body.model_fields_set}


class BlockedLeadUpdate(WireModel):
    """Set exactly what is given: an explicit `expiresAt` may shorten a block."""

    reason: Reason | None = Field(default=None, description="The new reason. " + PATCH_RULE)
    expires_at: Expiry | None = Field(
        default=None, description="The new expiry (null: permanent). " + PATCH_RULE
    )


RecordIds = Annotated[
    list[str],
    Field(
        description=(
            "Record ids, at most 10,000 (ids and identifiers together); any id that is not a "
            "record of this workspace is listed in `notFound`"
        ),
        json_schema_extra={"maxItems": MAX_LEADS_PER_REQUEST},
    ),
]
# Unblocking nothing is allowed (it unblocks nothing): an empty list, or an object with empty or
# absent lists, answers 200 with `unblocked: 0`.
UnblockIdentifiers = Annotated[
    list[Identifier],
    Field(
        description="Public identifiers or profile URLs, at most 10,000",
        json_schema_extra={"maxItems": MAX_LEADS_PER_REQUEST},
    ),
]


class UnblockRequest(WireModel):
    ids: RecordIds = Field(default_factory=list)
    public_identifiers: UnblockIdentifiers = Field(default_factory=list)


class UnblockResponse(WireModel):
    success: bool = True
    message: str
    unblocked: int
    not_found: list[str]
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


# Any text up to the input limit: one that is no identifier gets a result with an `error`, not a
# 400. Beyond the limit it is refused at once (SPEC: "invalid at once"), as the GET check does.
CheckInput = Annotated[str, Field(max_length=MAX_IDENTIFIER_INPUT)]
CompanyCheckInput = Annotated[str, Field(max_length=MAX_IDENTIFIER_INPUT)]


# A TypedDict, not a model: 10,000 of them validate in half the time, and a result echoes the
# item exactly as it came (the keys sent, and only those).
@with_config(ConfigDict(strict=True, extra="ignore"))
class CheckItemIn(TypedDict):
    """A lead to check with what is known of its company: company blocks apply too."""

    publicIdentifier: CheckInput
    companyLinkedIn: NotRequired[
        Annotated[
            CompanyCheckInput | None,
            Field(description="The lead's LinkedIn company (slug or URL); invalid: an `error`"),
        ]
    ]
    companyDomain: NotRequired[
        Annotated[
            CompanyCheckInput | None,
            Field(description="The lead's company domain; invalid: an `error`"),
        ]
    ]
    email: NotRequired[
        Annotated[
            CompanyCheckInput | None,
            Field(description="The lead's e-mail address: its domain is a company key"),
        ]
    ]


class CheckRequest(WireModel):
    public_identifiers: list[CheckInput | CheckItemIn] = Field(
        min_length=1,
        description=(
            f"1 to 10,000 identifiers or profile URLs of at most {MAX_IDENTIFIER_INPUT:,} "
            "characters, or objects that add the lead's company; one that cannot be judged "
            "gets `blocked: null` and an `error` in its result"
        ),
        json_schema_extra={"maxItems": MAX_LEADS_PER_REQUEST},
    )
    campaign_id: str | None = Field(
        default=None, description="Also check this campaign's blocks; unknown is a 404"
    )


class CheckResultOut(WireModel):
    input: str | CheckItemIn = Field(description="The input, as sent")
    public_identifier: str | None
    blocked: bool | None
    scope: str | None = Field(
        description="workspace, company or campaign: the block that applies (workspace wins, "
        "then company, then campaign); null when none does"
    )
    reason: str | None
    blocked_at: str | None
    expires_at: str | None = Field(description="When the block that applies ends; null: never")
    contactable: bool = Field(
        description="True only when the input is valid and no block of any kind applies at "
        "this moment. Test this before messaging, never `not blocked`: an input that could "
        "not be judged has `blocked: null`."
    )
    company_block_id: str | None = Field(
        default=None, description="With scope company: the company block that applies"
    )
    error: str | None = None


class CheckResponse(WireModel):
    success: bool = True
    results: list[CheckResultOut]


class EventOut(WireModel):
    id: str
    type: str = Field(
        description="blocked, unblocked, reason_changed, expiry_changed or expired (the block's "
        "expiry passed)"
    )
    at: str
    key_id: str | None = Field(
        description="Id of the API key that acted; null for the CLI and for expiries"
    )
    public_identifier: str | None = Field(description="The lead; null for a company block")
    linkedin_company: str | None = Field(description="The company of a company block, or null")
    domain: str | None = Field(description="The domain of a company block, or null")
    reason: str | None
    expires_at: str | None = Field(description="The block's expiry as the event left it")
    scope: str = Field(description="workspace, company or campaign")
    campaign_id: str | None


class SuccessResponse(WireModel):
    success: bool = True
    message: str


class ItemErrorOut(WireModel):
    index: int = Field(description="Index of the entry at fault; -1 when it is no list entry")
    value: Any = Field(description="The value at fault (at most 200 characters), or null")
    message: str


# Every code an error answer may carry: the table of web/errors.py, and malformed JSON's.
ERROR_CODES = sorted({*CODES.values(), "malformed_json"})


class ErrorResponse(WireModel):
    success: Literal[False]
    code: str = Field(
        description="What went wrong, for machines",
        json_schema_extra={"enum": list[JsonValue](ERROR_CODES)},
    )
    message: str = Field(description="One clear sentence, for people")
    errors: list[ItemErrorOut] = Field(
        description="One entry per item at fault; empty when no item is at fault"
    )


def blocked_lead_json(lead: BlockedLead, workspace_id: str) -> dict[str, Any]:
    return {
        "id": lead.id,
        "publicIdentifier": lead.public_identifier,
        "reason": lead.reason,
        "createdAt": iso(lead.created_at),
        "workspaceId": workspace_id,
        "expiresAt": None if lead.expires_at is None else iso(lead.expires_at),
    }


def check_result_json(result: CheckResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input": result.input,
        "publicIdentifier": result.public_identifier,
        "blocked": result.blocked,
        "scope": result.scope.value if result.scope else None,
        "reason": result.reason,
        "blockedAt": iso(result.blocked_at) if result.blocked_at is not None else None,
        "expiresAt": iso(result.expires_at) if result.expires_at is not None else None,
        "contactable": result.contactable,
    }
    if result.company_block_id is not None:
        body["companyBlockId"] = result.company_block_id
    if result.error is not None:
        body["error"] = result.error
    return body


# A name people give something: a campaign's name, a webhook's description.
Label = Annotated[
    str,
    Field(
        min_length=1,
        description=(
            f"Trimmed of surrounding whitespace, then 1–{MAX_NAME_LENGTH} characters; no control "
            "character but line feed and tab; stored trimmed"
        ),
        json_schema_extra={"pattern": NAME_PATTERN},
    ),
    AfterValidator(_name_rule),
]


class CampaignIn(WireModel):
    name: Label


class CampaignOut(WireModel):
    id: str
    name: str
    created_at: str


class CampaignCreated(CampaignOut):
    success: bool = True
    message: str


class CampaignBlockRequest(WireModel):
    public_identifiers: Annotated[list[Identifier], _batch(1, "identifiers or profile URLs")]
    reason: Reason | None = None
    expires_at: Expiry | None = Field(default=None, description="For every lead of the request")


class CampaignBlockResponse(WireModel):
    success: bool = True
    message: str
    blocked: int
    already_blocked: int
    extended: int = Field(description=EXTENDED)
    duplicates: int
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


class CampaignBlockOut(WireModel):
    public_identifier: str
    reason: str | None
    created_at: str
    expires_at: str | None = Field(description=EXPIRES_AT_OUT)


class CampaignUnblockRequest(WireModel):
    public_identifiers: UnblockIdentifiers


class CampaignUnblockResponse(WireModel):
    success: bool = True
    message: str
    unblocked: int
    not_found: list[str]


class CampaignLeadIn(WireModel):
    public_identifier: Identifier
    first_name: ContactName | None = None
    last_name: ContactName | None = None
    company_name: ContactName | None = Field(
        default=None, description="Shown only: a company name never matches a company block"
    )
    email: Email | None = None
    company_linkedin: LeadLinkedinCompany | None = Field(default=None, alias="companyLinkedIn")
    company_domain: LeadDomain | None = None


class EnrolRequest(WireModel):
    leads: Annotated[list[CampaignLeadIn], _batch(1, "leads")]


class EnrolResponse(WireModel):
    success: bool = True
    message: str
    added: int
    already_in_campaign: int
    blocked: int = Field(description="Leads of the request blocked right now (still enrolled)")
    duplicates: int


class BlockStateOut(WireModel):
    scope: str = Field(description="workspace, company or campaign")
    reason: str | None
    expires_at: str | None = Field(description=EXPIRES_AT_OUT)
    company_block_id: str | None = Field(
        default=None, description="With scope company: the company block that applies"
    )


class CampaignLeadOut(WireModel):
    id: str
    public_identifier: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    company_linkedin: str | None = Field(alias="companyLinkedIn")
    company_domain: str | None
    status: str = Field(
        description="pending, leased (held by a claim until `leaseExpiresAt`) or dispatched"
    )
    blocked: BlockStateOut | None
    created_at: str
    claim_id: str | None = Field(description="The claim that holds a leased lead, else null")
    lease_expires_at: str | None = Field(description="When a leased lead's lease ends, else null")


class DispatchRequest(WireModel):
    limit: Annotated[int, Field(ge=1, le=1000), BeforeValidator(_integral)] = Field(
        default=100, description="How many leads at most, 1–1000"
    )
    lease_seconds: Annotated[int | None, Field(ge=10, le=86_400), BeforeValidator(_integral)] = (
        Field(
            default=None,
            description="Lease the leads to a new claim for this long (10–86,400 s) instead of "
            "marking them dispatched: confirm them before messaging, release those not sent.",
        )
    )


class DispatchResponse(WireModel):
    success: bool = True
    leads: list[CampaignLeadOut]
    claim_id: str | None = Field(
        default=None, description="With `leaseSeconds`: the claim that holds the leads"
    )
    lease_expires_at: str | None = Field(
        default=None, description="With `leaseSeconds`: when the lease ends"
    )


class ClaimLeadsRequest(WireModel):
    lead_ids: (
        Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=1000)] | None
    ) = Field(
        default=None,
        description="Ids of leads of the claim, at most 1,000 (default: every lead it holds)",
    )


class BlockedLeadOfClaim(BlockStateOut):
    """A lead of the claim that a block stopped, and that block."""

    lead: CampaignLeadOut


class ConfirmResponse(WireModel):
    success: bool = True
    confirmed: list[CampaignLeadOut] = Field(description="Now dispatched: message exactly these")
    blocked: list[BlockedLeadOfClaim] = Field(
        description="Blocked at the moment of confirming: back to pending, not to be messaged"
    )
    not_held: list[str] = Field(
        description="Ids the claim does not hold (never did, confirmed or released already, or "
        "re-claimed by a later dispatch after the lease ran out)"
    )


class ReleaseResponse(WireModel):
    success: bool = True
    released: int = Field(description="Leads put back to pending")


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "createdAt": iso(campaign.created_at)}


def campaign_block_json(block: CampaignBlock) -> dict[str, Any]:
    return {
        "publicIdentifier": block.public_identifier,
        "reason": block.reason,
        "createdAt": iso(block.created_at),
        "expiresAt": optional_iso(block.expires_at),
    }


def block_state_json(block: ActiveBlock) -> dict[str, Any]:
    state = {
        "scope": block.scope.value,
        "reason": block.reason,
        "expiresAt": optional_iso(block.expires_at),
    }
    if block.company_block_id is not None:
        state["companyBlockId"] = block.company_block_id
    return state


def campaign_lead_json(view: LeadView) -> dict[str, Any]:
    lead, block = view.lead, view.block
    return {
        "id": lead.id,
        "publicIdentifier": lead.public_identifier,
        "firstName": lead.contact.first_name,
        "lastName": lead.contact.last_name,
        "companyName": lead.contact.company_name,
        "email": lead.contact.email,
        "companyLinkedIn": lead.contact.company_linkedin,
        "companyDomain": lead.contact.company_domain,
        "status": lead.status.value,
        "blocked": block_state_json(block) if block else None,
        "createdAt": iso(lead.created_at),
        "claimId": lead.claim_id,
        "leaseExpiresAt": iso(lead.lease_expires_at) if lead.lease_expires_at is not None else None,
    }


# --- Company blocks ----------------------------------------------------------------------------
CompanyName = Annotated[
    str,
    Field(
        description=(
            f"A display name, 1–{MAX_NAME_LENGTH} characters after trimming, no control "
            "character but line feed and tab; empty means none. Never matched: a name alone "
            "identifies no company"
        ),
        json_schema_extra={"pattern": trimmed_text_pattern(MAX_NAME_LENGTH, CONTROL_BUT_LF_TAB)},
    ),
]


def _not_null(value: Any) -> Any:
    """A key that names what an entry is may be absent, never null."""
    if value is None:
        raise ValueError("must not be null when present (leave it out instead)")
    return value


class CompanyIn(WireModel):
    """Exactly one of `linkedinCompany` and `domain` (the service says which entries lack
    one or have both, all at once)."""

    linkedin_company: Annotated[
        LinkedinCompany | SkipJsonSchema[None], BeforeValidator(_not_null)
    ] = None
    domain: Annotated[Domain | SkipJsonSchema[None], BeforeValidator(_not_null)] = None
    name: CompanyName | None = None
    reason: Reason | None = None
    expires_at: Expiry | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["linkedinCompany"]}, {"required": ["domain"]}],
            "not": {"required": ["linkedinCompany", "domain"]},
        }
    )


class CompanyBlockRequest(WireModel):
    companies: Annotated[list[CompanyIn], _batch(1, "companies")]


class CompanyBlockOut(WireModel):
    id: str | None = Field(
        description="Null only in a dry run's answer, for a record that would be new"
    )
    kind: Literal["linkedinCompany", "domain"]
    value: str = Field(description="The canonical LinkedIn company slug or domain")
    name: str | None
    reason: str | None
    created_at: str
    expires_at: str | None = Field(description=EXPIRES_AT_OUT)


class CompanyBlockResponse(WireModel):
    success: bool = True
    message: str
    blocked: int = Field(description="How many companies were newly blocked")
    already_blocked: int
    extended: int = Field(description=EXTENDED)
    duplicates: int
    companies: list[CompanyBlockOut] = Field(
        description="One record per distinct company of the request, in request order"
    )
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


class CompanyBlockUpdate(WireModel):
    name: CompanyName | None = Field(default=None, description="The new name. " + PATCH_RULE)
    reason: Reason | None = Field(default=None, description="The new reason. " + PATCH_RULE)
    expires_at: Expiry | None = Field(
        default=None, description="The new expiry (null: permanent). " + PATCH_RULE
    )


def _batch_of(what: str) -> Any:
    return Field(
        default_factory=list,
        description=f"{what}, at most 10,000 (ids and companies together)",
        json_schema_extra={"maxItems": MAX_LEADS_PER_REQUEST},
    )


class CompanyUnblockRequest(WireModel):
    ids: list[str] = _batch_of(
        "Record ids; any that is not a company block of this workspace is listed in `notFound`"
    )
    linkedin_companies: list[LinkedinCompany] = _batch_of("LinkedIn companies (slugs or URLs)")
    domains: list[Domain] = _batch_of("Domains")


class CompanyUnblockResponse(WireModel):
    success: bool = True
    message: str
    unblocked: int
    not_found: list[str] = Field(description="Ids as sent, and companies in canonical form")
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


class CompanyImportResponse(WireModel):
    success: bool = True
    message: str
    rows: int
    blocked: int
    already_blocked: int
    extended: int = Field(description=EXTENDED)
    duplicates: int
    dry_run: bool = Field(default=False, description="Present and true on a dry run's answer")


def company_block_json(block: CompanyBlock) -> dict[str, Any]:
    return {
        "id": block.id,
        "kind": block.kind.value,
        "value": block.value,
        "name": block.name,
        "reason": block.reason,
        "createdAt": iso(block.created_at),
        "expiresAt": optional_iso(block.expires_at),
    }


# --- Webhooks ----------------------------------------------------------------------------------
WEBHOOK_EVENT_TYPES = Literal["blocked", "unblocked", "reason_changed", "expiry_changed", "expired"]
assert set(get_args(WEBHOOK_EVENT_TYPES)) == set(EVENT_TYPES), "the trail's types changed"
WebhookUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_WEBHOOK_URL_LENGTH,
        description=(
            "Where deliveries are POSTed: an https URL (http only where the server allows it) "
            "whose host resolves to public addresses only; no user, password or fragment"
        ),
        json_schema_extra={"format": WEBHOOK_URL_FORMAT},
    ),
]
WebhookDescription = Label
WebhookEvents = Annotated[
    list[WEBHOOK_EVENT_TYPES],
    Field(
        max_length=len(EVENT_TYPES),
        description="The event types it receives; absent, null or empty: every type",
    ),
]


class WebhookIn(WireModel):
    url: WebhookUrl
    events: WebhookEvents | None = None
    description: WebhookDescription | None = None


class WebhookUpdate(WireModel):
    url: Annotated[WebhookUrl | SkipJsonSchema[None], BeforeValidator(_not_null)] = Field(
        default=None, description="The new URL, checked as at creation; absent: unchanged"
    )
    events: WebhookEvents | None = Field(
        default=None, description="The new event types (null or empty: every type). " + PATCH_RULE
    )
    description: WebhookDescription | None = Field(
        default=None, description="The new description (null: none). " + PATCH_RULE
    )
    enabled: Annotated[bool | SkipJsonSchema[None], BeforeValidator(_not_null)] = Field(
        default=None,
        description="false stops deliveries; true resumes them at the first event not "
        "delivered yet, at once; absent: unchanged",
    )


class WebhookOut(WireModel):
    id: str
    url: str
    events: list[str] = Field(description="The event types it receives; empty: every type")
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why deliveries stopped by themselves")
    created_at: str
    failing_since: str | None = Field(description="Its next event has failed since then")
    next_attempt_at: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="whsec_ and base64: verifies every delivery's webhook-signature. Shown "
        "only here (and on a rotation)"
    )


class DeliveryOut(WireModel):
    id: str
    event_id: str = Field(description="The event's id, also the delivery's webhook-id header")
    type: str
    attempt: int = Field(description="1 for the first attempt at this event")
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="pending: the next attempt at an event that failed, not made yet"
    )
    response_status: int | None
    error: str | None
    at: str = Field(description="When it was made (pending: when it will be)")
    next_attempt_at: str | None = Field(description="A failed attempt's retry, if any")
