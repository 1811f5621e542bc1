"""Input hygiene as a class: every operation of the live OpenAPI document, every string field of
its body and every parameter, fed a lone surrogate, an invalid UTF-8 escape, integers beyond 64
bits, the wrong type and an over-long value. Each answer is a 400 with the right code (or, for a
record id, which is opaque, simply not found), nothing is written, and the server keeps
answering everyone else."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import TenantFixture
from tests.receiver import Receiver
from tests.server import Server

SURROGATE = "@@surrogate@@"  # replaced by the JSON escape \ud800 in the raw body
HUGE = 18446744073709551616
OVER_LONG = "x" * 100_000
OVER_LONG_IN_URL = "x" * 5_000  # beyond every limit of a parameter, within a URL's
FUTURE = "2099-01-01T00:00:00Z"
# What each operation is sent when valid: every field of its body, with the kind of each string
# leaf (identifiers and free text are 400 when too long; record ids are opaque: not found).
BODIES: dict[str, Any] = {
    "blockLeads": {
        "leads": [{"publicIdentifier": "hygiene-lead", "reason": "why", "expiresAt": FUTURE}]
    },
    "checkLeads": {
        "publicIdentifiers": [
            "hygiene-lead",
            {
                "publicIdentifier": "hygiene-lead",
                "companyLinkedIn": "hygiene-co",
                "companyDomain": "hygiene.com",
                "email": "ada@hygiene.com",
            },
        ],
        "campaignId": "{campaign}",
    },
    "unblockLeads": {"ids": ["{lead}"], "publicIdentifiers": ["hygiene-lead"]},
    "updateBlockedLead": {"reason": "why", "expiresAt": FUTURE},
    "blockCompanies": {
        "companies": [
            {"domain": "hygiene.com", "name": "Hygiene", "reason": "why", "expiresAt": FUTURE},
            {"linkedinCompany": "hygiene-co"},
        ]
    },
    "unblockCompanies": {
        "ids": ["{block}"],
        "linkedinCompanies": ["hygiene-co"],
        "domains": ["hygiene.com"],
    },
    "updateCompanyBlock": {"name": "Hygiene", "reason": "why", "expiresAt": FUTURE},
    "createCampaign": {"name": "Hygiene"},
    "blockInCampaign": {
        "publicIdentifiers": ["hygiene-lead"],
        "reason": "why",
        "expiresAt": FUTURE,
    },
    "unblockInCampaign": {"publicIdentifiers": ["hygiene-lead"]},
    "enrolLeads": {
        "leads": [
            {
                "publicIdentifier": "hygiene-lead",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "companyName": "Analytical",
                "email": "ada@example.com",
                "companyLinkedIn": "analytical",
                "companyDomain": "analytical.example",
            }
        ]
    },
    "dispatchLeads": {"limit": 1, "leaseSeconds": 60},
    "confirmClaim": {"leadIds": ["{lead}"]},
    "releaseClaim": {"leadIds": ["{lead}"]},
    "createWebhook": {
        "url": "{hook_url}",
        "events": ["blocked", "expired"],
        "description": "Hygiene",
    },
    "updateWebhook": {
        "url": "{hook_url}",
        "events": ["unblocked"],
        "description": "Hygiene",
        "enabled": True,
    },
}
RECORD_IDS = {
    "ids",
    "campaignId",
    "lead_id",
    "campaign_id",
    "claim_id",
    "block_id",
    "webhook_id",
}
# Operations whose body is not JSON: their own hygiene is tested below.
NOT_JSON = {"importBlockedLeads", "importCompanyBlocks"}


@pytest.fixture
def document(server: Server) -> dict[str, Any]:
    return httpx.get(f"{server.url}/openapi.json").json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def string_fields(
    schema: Any, document: dict[str, Any], seen: frozenset[str] = frozenset()
) -> set[str]:
    """Names of every string and integer property a request body schema has, at any depth."""
    if not isinstance(schema, dict):
        return set()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return set()
        return string_fields(document["components"]["schemas"][name], document, seen | {name})
    found: set[str] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found |= string_fields(option, document, seen)
    found |= string_fields(schema.get("items"), document, seen)
    for name, property_schema in schema.get("properties", {}).items():
        if holds_text_or_integers(property_schema):
            found.add(name)
        found |= string_fields(property_schema, document, seen)
    return found


def holds_text_or_integers(schema: dict[str, Any]) -> bool:
    """A string or integer, or an array of them, possibly among `anyOf` options (`T | null`)."""
    options = schema.get("anyOf", [schema])
    return any(
        option.get("type") in ("string", "integer")
        or (option.get("type") == "array" and holds_text_or_integers(option.get("items", {})))
        for option in options
    )


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, (*path, index))]
    return [(path, value)]


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def field_name(path: tuple[Any, ...]) -> str:
    return next(str(part) for part in reversed(path) if isinstance(part, str))


def snapshot(client: httpx.Client, campaign: str) -> dict[str, str]:
    """Counts of everything a write could change."""
    urls = {
        "blocks": "/blocked-leads?limit=1",
        "events": "/blocked-leads/events?limit=1",
        "campaigns": "/campaigns?limit=1",
        "leads": f"/campaigns/{campaign}/leads?limit=1",
        "campaign blocks": f"/campaigns/{campaign}/blocked-leads?take=1",
        "company blocks": "/company-blocks?limit=1",
    }
    return {name: client.get(url).headers["X-Total-Count"] for name, url in urls.items()}


def test_every_operation_refuses_hostile_text_and_numbers(
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    document: dict[str, Any],
    receiver: Receiver,
) -> None:
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "Walked"}).json()["id"]
    lead = client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "already-here"}]}
    ).json()["leads"][0]["id"]
    block = client.post(
        "/company-blocks", json={"companies": [{"domain": "already-here.com"}]}
    ).json()["companies"][0]["id"]
    hook_url = receiver.url(receiver.new_path())
    hook = client.post("/webhooks", json={"url": hook_url}).json()["id"]
    ids = {"{campaign}": campaign, "{lead}": lead, "{block}": block, "{hook_url}": hook_url}
    before = snapshot(client, campaign)
    walked: set[str] = set()

    def send(method: str, url: str, body: bytes | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"} if body is not None else {}
        return client.request(method, url, content=body, headers=headers)

    problems: list[tuple[str, str, str, int, str]] = []

    def assert_refused(response: httpx.Response, what: str, field: str) -> None:
        """Note the answer unless it is the refusal due (all are listed at the end)."""
        status, text = response.status_code, response.text[:300]
        if field in RECORD_IDS and what == "over-long" and status != 400:
            # An id that is no record of the workspace is simply not found (SPEC).
            not_found = status == 404 or (
                status == 200 and response.json()["notFound"][0][:200] == "x" * 200
            )
            if not not_found:
                problems.append((operation_id, what, field, status, text))
            return
        if status != 400 or response.json()["code"] != "invalid_input":
            problems.append((operation_id, what, field, status, text))
        # What an error echoes is short (200 characters and an ellipsis) and valid JSON (the
        # answer parsed), whatever it was sent.
        echoed = [item["value"] for item in response.json().get("errors", [])]
        if any(isinstance(value, str) and len(value) > 201 for value in echoed):
            problems.append((operation_id, what, field, status, "echo longer than 200"))

    for method, template, operation in operations(document):
        operation_id = operation["operationId"]
        path = template.replace("{lead_id}", lead).replace("{campaign_id}", campaign)
        path = path.replace("{block_id}", block).replace("{webhook_id}", hook)
        path = path.replace("{claim_id}", lead)  # an id of the right shape that holds nothing
        url = path.removeprefix("/api/v1")
        # Every parameter: invalid UTF-8 and a surrogate's bytes, huge or mistyped integers,
        # over-long text.
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header":
                continue
            name, schema = parameter["name"], parameter["schema"]
            walked.add(name)
            hostile: list[tuple[str, str]] = [("invalid UTF-8", "%FF"), ("surrogate", "%ED%A0%80")]
            if schema.get("type") == "integer" or any(
                option.get("type") == "integer" for option in schema.get("anyOf", [])
            ):
                hostile += [("huge", str(HUGE)), ("huge", "9" * 5000), ("wrong type", "abc")]
            else:
                hostile += [("over-long", OVER_LONG_IN_URL)]
            for what, raw in hostile:
                if parameter["in"] == "path":
                    bad_url = url
                    for record in (lead, campaign, block, hook):
                        bad_url = bad_url.replace(record, raw)
                    response = send(method, bad_url, _valid_body(operation_id, ids))
                else:
                    query = f"{name}={raw if what != 'over-long' else quote(raw)}"
                    response = send(method, f"{url}?{query}", _valid_body(operation_id, ids))
                assert_refused(response, what, name)
        # Every string (and integer) leaf of the body.
        if operation_id in BODIES:
            body = json.loads(_valid_body(operation_id, ids) or b"null")
            for leaf_path, value in leaves(body):
                field = field_name(leaf_path)
                if not isinstance(value, bool):  # the declared set below is text and integers
                    walked.add(field)
                hostile_values: list[tuple[str, Any]] = [
                    ("surrogate", SURROGATE),
                    ("huge", HUGE),
                    # A boolean field's wrong type is text ("true" is no boolean in strict JSON).
                    ("wrong type", "true" if isinstance(value, bool) else True),
                    ("wrong type", {"a": 1}),
                ]
                if isinstance(value, str):
                    hostile_values.append(("over-long", OVER_LONG))
                for what, bad in hostile_values:
                    raw_body = json.dumps(replaced(body, leaf_path, bad))
                    raw_body = raw_body.replace(f'"{SURROGATE}"', '"\\ud800"')
                    assert_refused(send(method, url, raw_body.encode()), what, field)
        # Whoever else is using the server is still served.
        assert other_tenant.client.get("/blocked-leads?limit=1").status_code == 200

    assert problems == [], "\n".join(map(str, problems))
    assert snapshot(client, campaign) == before
    # Every string or integer the document declares was walked: a new field cannot be missed.
    declared = {
        parameter["name"]
        for _method, _path, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["in"] != "header"
    }
    for _method, _path, operation in operations(document):
        if operation["operationId"] in NOT_JSON:
            continue
        for content in operation.get("requestBody", {}).get("content", {}).values():
            declared |= string_fields(content.get("schema"), document)
    assert declared == walked


def _valid_body(operation_id: str, ids: dict[str, str]) -> bytes | None:
    if operation_id not in BODIES:
        return None
    text = json.dumps(BODIES[operation_id])
    for placeholder, value in ids.items():
        text = text.replace(placeholder, value)
    return text.encode()


def test_csv_import_refuses_invalid_utf8_and_over_long_identifiers(tenant: TenantFixture) -> None:
    for content, why in (
        (b"publicIdentifier\njo\xff\xfehn\n", "UTF-8"),
        (b"publicIdentifier\n" + b"x" * 3000 + b"\n", "too long"),
        (b"publicIdentifier\n\xed\xa0\x80-lead\n", "UTF-8"),
    ):
        response = tenant.client.post(
            "/blocked-leads/import", content=content, headers={"content-type": "text/csv"}
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_input"
        assert why in json.dumps(response.json()), response.text
    assert tenant.client.get("/blocked-leads?limit=1").headers["X-Total-Count"] == "0"


def test_integer_parameters_are_digits_only(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "Integers"}).json()["id"]
    lists = [
        "/blocked-leads",
        "/blocked-leads/events",
        "/campaigns",
        f"/campaigns/{campaign}/leads",
    ]
    for path in lists:
        for name in ("limit", "offset"):
            for text in ("\v3", " 3", "3 ", "4_2", "0x10", "3e0"):
                answer = client.get(path, params={name: text})
                assert answer.status_code == 400, (path, name, text, answer.text)
                assert answer.json()["code"] == "invalid_input"
            assert client.get(path, params={name: "1"}).status_code == 200
    blocks = f"/campaigns/{campaign}/blocked-leads"
    for name in ("skip", "take", "limit"):
        assert client.get(blocks, params={name: "\v3"}).status_code == 400
        assert client.get(blocks, params={name: "3.0"}).status_code == 200
