"""The OpenAPI document as integrators use it: it validates, names every operation as promised,
declares the `x-api-key` scheme, documents every error answer and header, and a client generated
from it by openapi-python-client drives the real server through a whole flow.

(That the server does exactly what the document says, request by request, is test_fuzz.py's.)"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate
from pydantic import ValidationError
from starlette.datastructures import Headers

from leadblock.api import idempotency
from leadblock.api.idempotency import KEY_PATTERN
from leadblock.api.schemas import (
    CONTACT_NAME_PATTERN,
    CONTROL,
    NAME_PATTERN,
    REASON_PATTERN,
    SPACE,
    VISIBLE,
    CampaignIn,
)
from leadblock.domain.contacts import InvalidContact, normalise_name
from leadblock.domain.labels import InvalidLabel, normalise_label
from leadblock.domain.reasons import InvalidReason, normalise_reason
from leadblock.errors import InvalidInput
from leadblock.web.errors import CODES
from tests.conftest import TenantFixture
from tests.server import Server

OPERATION_IDS = {
    "blockLeads",
    "listBlockedLeads",
    "checkLeads",
    "checkLead",
    "exportBlockedLeads",
    "importBlockedLeads",
    "listEvents",
    "unblockLeads",
    "getBlockedLead",
    "updateBlockedLead",
    "unblockLead",
    "createCampaign",
    "listCampaigns",
    "getCampaign",
    "deleteCampaign",
    "blockInCampaign",
    "listCampaignBlocks",
    "unblockInCampaign",
    "enrolLeads",
    "listCampaignLeads",
    "dispatchLeads",
    "confirmClaim",
    "releaseClaim",
    "blockCompanies",
    "listCompanyBlocks",
    "exportCompanyBlocks",
    "importCompanyBlocks",
    "unblockCompanies",
    "getCompanyBlock",
    "updateCompanyBlock",
    "unblockCompany",
    "createWebhook",
    "listWebhooks",
    "getWebhook",
    "updateWebhook",
    "deleteWebhook",
    "rotateWebhookSecret",
    "listWebhookDeliveries",
    "testWebhook",
}
LISTS = {
    "listBlockedLeads",
    "listEvents",
    "listCampaigns",
    "listCampaignLeads",
    "listCampaignBlocks",
    "listCompanyBlocks",
    "listWebhookDeliveries",
}
ERROR_STATUSES = {"400", "401", "403", "404", "408", "413", "429", "503"}
# Writes keep their answers by Idempotency-Key; the one POST that writes nothing (a check) never
# replays one.
WRITES = {
    "blockLeads",
    "importBlockedLeads",
    "unblockLeads",
    "updateBlockedLead",
    "unblockLead",
    "createCampaign",
    "deleteCampaign",
    "blockInCampaign",
    "unblockInCampaign",
    "enrolLeads",
    "dispatchLeads",
    "confirmClaim",
    "releaseClaim",
    "blockCompanies",
    "importCompanyBlocks",
    "unblockCompanies",
    "updateCompanyBlock",
    "unblockCompany",
    "createWebhook",
    "updateWebhook",
    "deleteWebhook",
    "rotateWebhookSecret",
}
RATE_LIMIT_HEADERS = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
OPENAPI_PYTHON_CLIENT = Path(sys.executable).parent / "openapi-python-client"
_generated = itertools.count()


@pytest.fixture
def document(server: Server) -> dict[str, Any]:
    return httpx.get(f"{server.url}/openapi.json").json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_operation_has_its_promised_id(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _method, _path, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert set(ids) == OPERATION_IDS


def test_every_operation_requires_the_api_key_header(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"] == {
        "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}
    }
    assert document["security"] == [{"apiKey": []}]
    for _method, _path, operation in operations(document):
        assert operation.get("security", document["security"]) == [{"apiKey": []}]
        # The key is the scheme's, not a parameter of its own.
        assert all(p["name"].lower() != "x-api-key" for p in operation.get("parameters", []))


def test_every_operation_documents_every_error_answer(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["ErrorResponse"]
    assert set(error["required"]) == {"success", "code", "message", "errors"}
    assert set(error["properties"]["code"]["enum"]) == {*CODES.values(), "malformed_json"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for _method, _path, operation in operations(document):
        responses = operation["responses"]
        idempotent = {"409", "422"} if operation["operationId"] in WRITES else set()
        assert set(responses) == {"200"} | ERROR_STATUSES | idempotent, operation["operationId"]
        for status in ERROR_STATUSES | idempotent:
            content = responses[status]["content"]
            assert content == {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
            }
        for status in ("429", "503"):
            assert responses[status]["headers"]["Retry-After"]["required"] is True
        limited = responses["429"]["headers"]
        assert all(limited[name]["required"] is True for name in RATE_LIMIT_HEADERS)
        assert responses["200"]["headers"].keys() >= RATE_LIMIT_HEADERS


def test_every_list_documents_its_paging_headers(document: dict[str, Any]) -> None:
    for _method, _path, operation in operations(document):
        headers = operation["responses"]["200"]["headers"]
        if operation["operationId"] in LISTS:
            assert headers.keys() == {"X-Total-Count", "X-Next-Cursor", "Link"} | RATE_LIMIT_HEADERS
            assert headers["X-Total-Count"]["required"] is True
        elif operation["operationId"] in WRITES:
            assert headers.keys() == RATE_LIMIT_HEADERS | {"Idempotent-Replayed"}
        else:
            assert headers.keys() == RATE_LIMIT_HEADERS


def test_every_write_documents_its_idempotency_key(document: dict[str, Any]) -> None:
    posts = set()
    for method, _path, operation in operations(document):
        keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        if method not in ("POST", "PATCH", "DELETE"):
            assert keys == []
            continue
        posts.add(operation["operationId"])
        [key] = keys
        assert (key["in"], key["required"]) == ("header", False)
        assert key["schema"]["pattern"] == KEY_PATTERN
        assert "Idempotent-Replayed" not in operation["responses"]["403"].get("headers", {})
        for status in ("200", "400", "404"):
            replayed = operation["responses"][status].get("headers", {})
            assert ("Idempotent-Replayed" in replayed) == (operation["operationId"] in WRITES)
    assert posts == WRITES | {"checkLeads", "testWebhook"}


@given(st.text(st.characters(max_codepoint=0xFF), max_size=300))
def test_the_documented_key_pattern_is_the_rule(value: str) -> None:
    headers = Headers(raw=[(b"idempotency-key", value.encode("latin-1"))])
    try:
        accepted = idempotency.key_of("POST", headers) == value
    except InvalidInput:
        accepted = False
    assert accepted == bool(re.fullmatch(KEY_PATTERN, value))
    assert accepted == (
        0 < len(value) <= 255 and value.isascii() and value.isprintable() and value == value.strip()
    )


# --- The text rules the document states as patterns are the services' rules -------------------


def test_the_pattern_classes_are_pythons_whitespace_and_controls() -> None:
    space, control, visible = (re.compile(f"[{SPACE}]"), re.compile(f"[{CONTROL}]"), VISIBLE)
    for code in itertools.chain(range(0xD800), range(0xE000, sys.maxunicode + 1)):
        character = chr(code)
        is_space = character.isspace()
        is_control = unicodedata.category(character) == "Cc"
        assert bool(space.fullmatch(character)) == is_space, hex(code)
        assert bool(control.fullmatch(character)) == is_control, hex(code)
        assert bool(re.fullmatch(visible, character)) == (not is_space and not is_control)


# Text built to reach the rules' edges: whitespace and controls anywhere, lengths near the limit.
_EDGY = st.one_of(
    st.sampled_from(" \t\n\r\x0b\x1c\x85\xa0\u2003\u3000\x00\x1b\x7f\x9f\u200bé"),
    st.characters(codec="utf-8"),
)


def _edgy_text(limit: int) -> st.SearchStrategy[str]:
    filler = st.integers(limit - 3, limit + 3).map(lambda n: "r" * n)
    return st.lists(st.one_of(_EDGY, filler), max_size=6).map("".join)


def _accepted(check: Any, text: str) -> bool:
    try:
        check(text)
    except (InvalidReason, InvalidContact, InvalidLabel):
        return False
    return True


@given(_edgy_text(500))
def test_the_reason_pattern_is_the_reason_rule(text: str) -> None:
    assert bool(re.fullmatch(REASON_PATTERN, text)) == _accepted(normalise_reason, text)


@given(_edgy_text(200))
def test_the_contact_name_pattern_is_the_contact_rule(text: str) -> None:
    accepted = _accepted(lambda t: normalise_name(t, "firstName"), text)
    assert bool(re.fullmatch(CONTACT_NAME_PATTERN, text)) == accepted


@given(_edgy_text(200))
def test_a_campaign_name_is_refused_exactly_when_the_document_says(text: str) -> None:
    declared = len(text) >= 1 and re.fullmatch(NAME_PATTERN, text) is not None
    try:
        CampaignIn.model_validate({"name": text})
    except ValidationError:
        accepted = False
    else:
        accepted = True
        normalise_label(text, "Campaign name")  # and the service keeps what the model let in
    assert accepted == declared
    # The document's rule is the label rule: 1–200 characters once trimmed.
    assert declared == _accepted(lambda t: normalise_label(t, "Campaign name"), text)


# --- A client generated from the document ------------------------------------------------------


@pytest.fixture
def client_package(document: dict[str, Any], tmp_path: Path) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from the live document, imported."""
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(document))
    name = f"leadblock_client_{next(_generated)}"
    # Its post-generation hooks run ruff, from this environment.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    generated = subprocess.run(
        [
            str(OPENAPI_PYTHON_CLIENT),
            "generate",
            "--path",
            str(source),
            "--output-path",
            str(tmp_path / name),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    # The only warnings: the generator has no text/csv request bodies (the CSV imports).
    warnings = re.findall(r"WARNING parsing (\S+ \S+)", output)
    assert warnings == [
        "POST /api/v1/blocked-leads/import",
        "POST /api/v1/company-blocks/import",
    ], output
    assert "Unsupported content type text/csv" in output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def test_a_generated_client_blocks_checks_enrols_dispatches_and_unblocks(
    client_package: ModuleType, server: Server, tenant: TenantFixture
) -> None:
    name = client_package.__name__
    api = importlib.import_module(f"{name}.api.workspace_blocklist")
    campaigns_api = importlib.import_module(f"{name}.api.campaigns")
    for module in ("block_leads", "list_blocked_leads", "check_leads", "check_lead"):
        importlib.import_module(f"{api.__name__}.{module}")
    for module in (
        "create_campaign",
        "enrol_leads",
        "dispatch_leads",
        "list_campaign_leads",
        "confirm_claim",
    ):
        importlib.import_module(f"{campaigns_api.__name__}.{module}")
    importlib.import_module(f"{api.__name__}.unblock_leads")
    models = importlib.import_module(f"{name}.models")
    # The scheme says header `x-api-key`, no prefix: that is how the client is told to send it.
    with (
        client_package.AuthenticatedClient(
            base_url=server.url, token=tenant.api_key, prefix="", auth_header_name="x-api-key"
        ) as client,
        client_package.Client(base_url=server.url) as anonymous,
    ):
        _flow(client, anonymous, api, campaigns_api, models, tenant)


def _flow(
    client: Any,
    anonymous: Any,
    api: ModuleType,
    campaigns_api: ModuleType,
    models: ModuleType,
    tenant: TenantFixture,
) -> None:

    # Block: a URL and a bare identifier, canonicalised; the reason trimmed.
    blocked = api.block_leads.sync_detailed(
        client=client,
        body=models.BlockRequest(
            leads=[
                models.LeadIn(
                    public_identifier="https://www.linkedin.com/in/Ada-Lovelace/",
                    reason="  competitor  ",
                ),
                models.LeadIn(public_identifier="grace-hopper"),
                models.LeadIn(public_identifier="ADA-LOVELACE"),
            ]
        ),
    )
    assert blocked.status_code == 200
    answer = blocked.parsed
    assert (answer.success, answer.blocked, answer.already_blocked, answer.duplicates) == (
        True,
        2,
        0,
        1,
    )
    ada, grace = answer.leads
    assert (ada.public_identifier, ada.reason) == ("ada-lovelace", "competitor")
    assert (grace.public_identifier, grace.reason) == ("grace-hopper", None)
    assert {ada.workspace_id, grace.workspace_id} == {tenant.workspace_id}

    # List, oldest first, one per page: the cursor of the first page leads to the second.
    first = api.list_blocked_leads.sync_detailed(
        client=client, sort=models.ListBlockedLeadsSort.ASC, limit=1
    )
    assert first.status_code == 200
    assert [lead.id for lead in first.parsed] == [ada.id]
    assert first.headers["X-Total-Count"] == "2"
    second = api.list_blocked_leads.sync_detailed(
        client=client,
        sort=models.ListBlockedLeadsSort.ASC,
        limit=1,
        cursor=first.headers["X-Next-Cursor"],
    )
    assert [lead.to_dict() for lead in second.parsed] == [grace.to_dict()]
    assert "X-Next-Cursor" not in second.headers

    # Check: blocked, not blocked, and an input that is no identifier (a result, not a 400).
    checked = api.check_leads.sync_detailed(
        client=client,
        body=models.CheckRequest(
            public_identifiers=["linkedin.com/in/ada-lovelace", "alan-turing", "@x"]
        ),
    ).parsed
    assert [
        (r.input_, r.public_identifier, r.blocked, r.scope, r.reason) for r in checked.results
    ] == [
        ("linkedin.com/in/ada-lovelace", "ada-lovelace", True, "workspace", "competitor"),
        ("alan-turing", "alan-turing", False, None, None),
        ("@x", None, None, None, None),
    ]
    assert checked.results[0].blocked_at == ada.created_at
    assert [r.contactable for r in checked.results] == [False, True, False]
    assert checked.results[2].error
    one = api.check_lead.sync_detailed(client=client, public_identifier="Grace-Hopper").parsed
    assert [(r.public_identifier, r.blocked) for r in one.results] == [("grace-hopper", True)]

    # A campaign, two leads enrolled (one of them blocked), and a dispatch that skips it.
    campaign = campaigns_api.create_campaign.sync_detailed(
        client=client, body=models.CampaignIn(name="  Launch  ")
    ).parsed
    assert (campaign.success, campaign.name) == (True, "Launch")
    enrolled = campaigns_api.enrol_leads.sync_detailed(
        campaign_id=campaign.id,
        client=client,
        body=models.EnrolRequest(
            leads=[
                models.CampaignLeadIn(public_identifier="ada-lovelace"),
                models.CampaignLeadIn(
                    public_identifier="alan-turing", first_name="Alan", email="alan@example.com"
                ),
            ]
        ),
    ).parsed
    assert (enrolled.added, enrolled.already_in_campaign, enrolled.blocked) == (2, 0, 1)
    dispatched = campaigns_api.dispatch_leads.sync_detailed(
        campaign_id=campaign.id, client=client, body=models.DispatchRequest(limit=10)
    ).parsed
    assert [
        (lead.public_identifier, lead.first_name, lead.email, lead.status, lead.blocked)
        for lead in dispatched.leads
    ] == [("alan-turing", "Alan", "alan@example.com", "dispatched", None)]

    # Unblock by identifier and by record id; the lead blocked before is now handed out.
    unblocked = api.unblock_leads.sync_detailed(
        client=client,
        body=models.UnblockRequest(public_identifiers=["ada-lovelace"], ids=[grace.id]),
    ).parsed
    assert (unblocked.success, unblocked.unblocked, unblocked.not_found) == (True, 2, [])
    again = campaigns_api.dispatch_leads.sync_detailed(
        campaign_id=campaign.id, client=client, body=models.DispatchRequest(limit=10)
    ).parsed
    assert [(lead.public_identifier, lead.status) for lead in again.leads] == [
        ("ada-lovelace", "dispatched")
    ]
    leads = campaigns_api.list_campaign_leads.sync_detailed(campaign_id=campaign.id, client=client)
    assert leads.headers["X-Total-Count"] == "2"
    assert {lead.status for lead in leads.parsed} == {"dispatched"}

    # The sender's loop: lease, then confirm right before the message.
    campaigns_api.enrol_leads.sync_detailed(
        campaign_id=campaign.id,
        client=client,
        body=models.EnrolRequest(leads=[models.CampaignLeadIn(public_identifier="mary-jackson")]),
    )
    leased = campaigns_api.dispatch_leads.sync_detailed(
        campaign_id=campaign.id,
        client=client,
        body=models.DispatchRequest(limit=10, lease_seconds=60),
    ).parsed
    assert [(lead.public_identifier, lead.status, lead.claim_id) for lead in leased.leads] == [
        ("mary-jackson", "leased", leased.claim_id)
    ]
    assert leased.lease_expires_at == leased.leads[0].lease_expires_at
    gate = campaigns_api.confirm_claim.sync_detailed(
        campaign_id=campaign.id,
        claim_id=leased.claim_id,
        client=client,
        body=models.ClaimLeadsRequest(lead_ids=[leased.leads[0].id]),
    ).parsed
    assert [(lead.public_identifier, lead.status) for lead in gate.confirmed] == [
        ("mary-jackson", "dispatched")
    ]
    assert (gate.blocked, gate.not_held) == ([], [])

    # Errors are parsed into the documented envelope: codes, and `errors` always present.
    refused = api.list_blocked_leads.sync_detailed(client=anonymous)
    assert refused.status_code == 401
    assert (refused.parsed.success, refused.parsed.code, refused.parsed.errors) == (
        False,
        models.ErrorResponseCode.UNAUTHENTICATED,
        [],
    )
    invalid = api.block_leads.sync_detailed(
        client=client,
        body=models.BlockRequest(
            leads=[
                models.LeadIn(public_identifier="fine-one"),
                models.LeadIn(public_identifier="@x"),
            ]
        ),
    )
    assert invalid.status_code == 400
    assert invalid.parsed.code == models.ErrorResponseCode.INVALID_INPUT
    assert [(e.index, e.value) for e in invalid.parsed.errors] == [(1, "@x")]


def test_every_integer_parameter_has_its_documented_bounds(document: dict[str, Any]) -> None:
    bounds = {
        (operation["operationId"], parameter["name"]): (option["minimum"], option["maximum"])
        for _method, _path, operation in operations(document)
        for parameter in operation.get("parameters", [])
        for option in parameter["schema"].get("anyOf", [parameter["schema"]])
        if option.get("type") == "integer"
    }
    offset, page = (0, 1_000_000_000), (1, 1000)
    assert bounds == {
        ("listBlockedLeads", "offset"): offset,
        ("listBlockedLeads", "limit"): page,
        ("listEvents", "offset"): offset,
        ("listEvents", "limit"): page,
        ("listCampaigns", "offset"): offset,
        ("listCampaigns", "limit"): page,
        ("listCampaignBlocks", "skip"): offset,
        ("listCampaignBlocks", "take"): (1, 100),
        ("listCampaignBlocks", "limit"): page,
        ("listCampaignLeads", "offset"): offset,
        ("listCampaignLeads", "limit"): page,
        ("listCompanyBlocks", "offset"): offset,
        ("listCompanyBlocks", "limit"): page,
        ("listWebhookDeliveries", "limit"): page,
    }
