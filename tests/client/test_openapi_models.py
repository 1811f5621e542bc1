"""The client against the server's OpenAPI document, built in-process from the server's code:
this fails as soon as the two disagree.

- Every model has exactly the properties of its component schema (by wire name), the same
  required ones, the same JSON types (nullable or not, arrays of what, which component), and a
  `Literal` the schema's enum.
- Every component schema is modelled, or listed below with why not.
- Every operation of the document is a client method, and each method's request (method, path,
  query parameters, body) is one the document declares: a body is validated against the
  operation's schema with no property beyond those it names.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped]
import pytest

from leadblock.app import create_app
from leadblock.config import Settings
from leadblock_client import models
from leadblock_client.api import Api, Operation, Pages
from leadblock_client.calls import Call
from leadblock_client.wire import wire_fields

MODELS: dict[type[Any], str] = {
    models.LeadInput: "LeadIn",
    models.CampaignLeadInput: "CampaignLeadIn",
    models.CompanyInput: "CompanyIn",
    models.CheckItem: "CheckItemIn",
    models.BlockedLead: "BlockedLeadOut",
    models.BlockResult: "BlockResponse",
    models.ImportResult: "ImportResponse",
    models.UnblockResult: "UnblockResponse",
    models.CheckAnswer: "CheckResponse",
    models.CheckResult: "CheckResultOut",
    models.AuditEvent: "EventOut",
    models.Campaign: "CampaignOut",
    models.CampaignBlock: "CampaignBlockOut",
    models.CampaignBlockResult: "CampaignBlockResponse",
    models.CampaignUnblockResult: "CampaignUnblockResponse",
    models.EnrolResult: "EnrolResponse",
    models.BlockState: "BlockStateOut",
    models.CampaignLead: "CampaignLeadOut",
    models.DispatchResult: "DispatchResponse",
    models.BlockedClaimLead: "BlockedLeadOfClaim",
    models.ConfirmResult: "ConfirmResponse",
    models.ReleaseResult: "ReleaseResponse",
    models.CompanyBlock: "CompanyBlockOut",
    models.CompanyBlockResult: "CompanyBlockResponse",
    models.CompanyUnblockResult: "CompanyUnblockResponse",
    models.CompanyImportResult: "CompanyImportResponse",
    models.Webhook: "WebhookOut",
    models.WebhookWithSecret: "WebhookCreated",
    models.WebhookDelivery: "DeliveryOut",
    models.ErrorEnvelope: "ErrorResponse",
    models.ErrorItem: "ItemErrorOut",
}
INPUTS = {models.LeadInput, models.CampaignLeadInput, models.CompanyInput, models.CheckItem}
REQUEST_BODY = "a request body endpoints.py writes: test_every_request_is_one_the_document_declares"
NOT_MODELLED = {
    "CampaignCreated": "create_campaign returns the Campaign (CampaignOut) it carries",
    "SuccessResponse": "a method that deletes one record returns None",
    "EventType": "the enum of event types: models.EventType",
    "BlockRequest": REQUEST_BODY,
    "BlockedLeadUpdate": REQUEST_BODY,
    "CampaignBlockRequest": REQUEST_BODY,
    "CampaignIn": REQUEST_BODY,
    "CampaignUnblockRequest": REQUEST_BODY,
    "CheckRequest": REQUEST_BODY,
    "ClaimLeadsRequest": REQUEST_BODY,
    "CompanyBlockRequest": REQUEST_BODY,
    "CompanyBlockUpdate": REQUEST_BODY,
    "CompanyUnblockRequest": REQUEST_BODY,
    "DispatchRequest": REQUEST_BODY,
    "EnrolRequest": REQUEST_BODY,
    "UnblockRequest": REQUEST_BODY,
    "WebhookIn": REQUEST_BODY,
    "WebhookUpdate": REQUEST_BODY,
}
FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
# One call of every method, with every argument it takes.
CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "block_leads": (
        (
            [
                "john-doe",
                models.LeadInput(public_identifier="jane-roe", reason="r", expires_at=FUTURE),
            ],
        ),
        {"dry_run": True},
    ),
    "list_blocked_leads": (
        (),
        {"limit": 5, "cursor": "c", "offset": 1, "sort": "ASC", "search": "s"},
    ),
    "get_blocked_lead": (("L",), {}),
    "update_blocked_lead": (("L",), {"reason": None, "expires_at": FUTURE}),
    "unblock_lead": (("L",), {}),
    "unblock_leads": ((), {"ids": ["L"], "public_identifiers": ["john-doe"], "dry_run": True}),
    "check_leads": (
        (
            [
                "john-doe",
                models.CheckItem(
                    public_identifier="x-y",
                    company_linkedin="a",
                    company_domain="b.c",
                    email="e@b.c",
                ),
            ],
        ),
        {"campaign_id": "C"},
    ),
    "check_lead": (("john-doe",), {"campaign_id": "C"}),
    "export_blocked_leads": ((), {}),
    "import_blocked_leads": (("publicIdentifier\njohn-doe\n",), {"dry_run": True}),
    "list_events": (
        (),
        {
            "event_type": "blocked",
            "public_identifier": "john-doe",
            "limit": 5,
            "cursor": "c",
            "offset": 1,
        },
    ),
    "create_campaign": (("Q4",), {}),
    "list_campaigns": ((), {"limit": 5, "cursor": "c", "offset": 1}),
    "get_campaign": (("C",), {}),
    "delete_campaign": (("C",), {}),
    "block_in_campaign": (
        ("C", ["john-doe"]),
        {"reason": "r", "expires_at": FUTURE, "dry_run": True},
    ),
    "list_campaign_blocks": (("C",), {"limit": 5, "cursor": "c", "skip": 1, "take": 5}),
    "unblock_in_campaign": (("C", ["john-doe"]), {}),
    "enrol_leads": (
        (
            "C",
            [
                "ada-lovelace",
                models.CampaignLeadInput(
                    public_identifier="grace-hopper",
                    first_name="Grace",
                    last_name="Hopper",
                    company_name="Navy",
                    email="grace@navy.mil",
                    company_linkedin="us-navy",
                    company_domain="navy.mil",
                ),
            ],
        ),
        {},
    ),
    "list_campaign_leads": (("C",), {"limit": 5, "cursor": "c", "offset": 1}),
    "dispatch_leads": (("C",), {"limit": 5, "lease_seconds": 60}),
    "confirm_claim": (("C", "K", ["L"]), {}),
    "release_claim": (("C", "K", ["L"]), {}),
    "block_companies": (
        (
            [
                models.CompanyInput(domain="acme.com", name="Acme", reason="r", expires_at=FUTURE),
                models.CompanyInput(linkedin_company="globex"),
            ],
        ),
        {"dry_run": True},
    ),
    "list_company_blocks": ((), {"limit": 5, "cursor": "c", "offset": 1, "search": "s"}),
    "get_company_block": (("B",), {}),
    "update_company_block": (("B",), {"name": None, "reason": "r", "expires_at": FUTURE}),
    "unblock_company": (("B",), {}),
    "unblock_companies": (
        (),
        {"ids": ["B"], "linkedin_companies": ["globex"], "domains": ["acme.com"], "dry_run": True},
    ),
    "export_company_blocks": ((), {}),
    "import_company_blocks": (("kind,value\ndomain,acme.com\n",), {"dry_run": True}),
    "create_webhook": (("https://crm.example.com/x",), {"events": ["blocked"], "description": "d"}),
    "list_webhooks": ((), {}),
    "get_webhook": (("W",), {}),
    "update_webhook": (
        ("W",),
        {"url": "https://crm.example.com/y", "events": None, "description": None, "enabled": True},
    ),
    "delete_webhook": (("W",), {}),
    "rotate_webhook_secret": (("W",), {}),
    "list_webhook_deliveries": (("W",), {"limit": 5, "cursor": "c"}),
    "test_webhook": (("W",), {}),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document the server publishes at /openapi.json (the database is never opened)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'unused.db'}"
    return create_app(Settings(database_url=url)).openapi()


def components(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"]  # type: ignore[no-any-return]


def json_types(annotation: Any) -> frozenset[str]:
    """What JSON a model's annotation reads: `string`, `null`, `array<...>`, `#Component`…"""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return frozenset().union(*(json_types(option) for option in typing.get_args(annotation)))
    if annotation is Any:
        return frozenset({"any"})
    if annotation is types.NoneType:
        return frozenset({"null"})
    if origin is tuple:
        (item,) = typing.get_args(annotation)[:1]
        return frozenset({f"array<{'|'.join(sorted(json_types(item)))}>"})
    if annotation in (str, dt.datetime) or origin is Literal:
        return frozenset({"string"})
    if annotation in (int, bool):
        return frozenset({{int: "integer", bool: "boolean"}[annotation]})
    return frozenset({"#" + MODELS[annotation]})


def schema_types(schema: dict[str, Any]) -> frozenset[str]:
    """What JSON a property's schema allows, in the terms of `json_types`."""
    if "$ref" in schema:
        return frozenset({"#" + schema["$ref"].rsplit("/", 1)[1]})
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return frozenset().union(*(schema_types(option) for option in schema[combined]))
    if schema.get("type") == "array":
        return frozenset({f"array<{'|'.join(sorted(schema_types(schema['items'])))}>"})
    if "type" in schema:
        return frozenset({schema["type"]})
    return frozenset({"any"})


def literal_values(annotation: Any) -> set[Any] | None:
    """The values of a `Literal` annotation (or of the `Literal` in a union), else None."""
    origin = typing.get_origin(annotation)
    options = typing.get_args(annotation) if origin in (typing.Union, types.UnionType) else ()
    for option in options or (annotation,):
        if typing.get_origin(option) is Literal:
            return set(typing.get_args(option))
    return None


def enum_values(schema: dict[str, Any]) -> set[Any] | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if "enum" in option:
            return set(option["enum"])
    return None


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_model_is_its_component_schema(document: dict[str, Any], model: type[Any]) -> None:
    schema = components(document)[MODELS[model]]
    properties = dict(schema["properties"])
    required = set(schema.get("required", []))
    # The envelope's constant (true on every answer, false on every error) is no model field.
    success = properties.pop("success", None)
    if success is not None:
        assert success.get("default") is True or success.get("const") is False
        required.discard("success")
    fields = {field.wire: field for field in wire_fields(model)}
    assert set(fields) == set(properties)
    assert {name for name, field in fields.items() if field.required} == required
    for name, field in fields.items():
        expected = schema_types(properties[name])
        actual = json_types(field.annotation)
        if model in INPUTS:  # None there means "left out", whatever the schema says of null
            expected, actual = expected - {"null"}, actual - {"null"}
        assert actual == expected, name
        literal = literal_values(field.annotation)
        if literal is not None:
            assert literal == enum_values(properties[name]), name


def test_every_component_schema_is_modelled_or_said_why_not(document: dict[str, Any]) -> None:
    modelled = set(MODELS.values())
    assert not modelled & set(NOT_MODELLED)
    assert set(components(document)) == modelled | set(NOT_MODELLED)
    event_types = components(document)["EventType"]["enum"]
    assert set(typing.get_args(models.EventType)) == set(event_types)


def methods() -> Iterator[tuple[str, Operation[Any, Any]]]:
    for name, member in vars(Api).items():
        if isinstance(member, Operation):
            yield name, member


def operation_of(document: dict[str, Any], call: Call[Any]) -> dict[str, Any]:
    """The document's operation for `call`: the path that matches with the fewest
    parameters (`/blocked-leads/check` before `/blocked-leads/{lead_id}`)."""
    candidates = []
    for template, item in document["paths"].items():
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, "/api/v1" + call.path) and call.method.lower() in item:
            candidates.append((template.count("{"), item[call.method.lower()]))
    assert candidates, f"{call.method} {call.path} is no operation of the document"
    return min(candidates, key=lambda candidate: candidate[0])[1]  # type: ignore[no-any-return]


def strict(schema: Any) -> Any:
    """`schema` with no property allowed beyond those it names (a misspelt key fails)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict_schema = {key: strict(value) for key, value in schema.items()}
    if "properties" in schema:
        strict_schema["additionalProperties"] = False
    return strict_schema


def test_every_request_is_one_the_document_declares(document: dict[str, Any]) -> None:
    assert set(CALLS) == {name for name, _operation in methods()}
    covered = set()
    schemas = strict(components(document))
    for name, operation in methods():
        args, kwargs = CALLS[name]
        call = operation.build(*args, **kwargs)
        declared = operation_of(document, call)
        covered.add(declared["operationId"])
        parameters = {p["name"] for p in declared.get("parameters", []) if p["in"] == "query"}
        assert {key for key, _value in call.query} <= parameters, name
        body = declared.get("requestBody", {}).get("content", {})
        if call.content_type == "application/json":
            assert call.body is not None
            schema = {
                **strict(body["application/json"]["schema"]),
                "components": {"schemas": schemas},
            }
            jsonschema.validate(json.loads(call.body), schema)
        elif call.content_type is not None:
            assert call.content_type.startswith("text/csv")
            assert "text/csv" in body, name
        else:
            assert not declared.get("requestBody", {}).get("required"), name
        keyed = any(p["name"] == "Idempotency-Key" for p in declared.get("parameters", []))
        replayed = "409" in declared["responses"]  # a write the server keeps answers of
        assert (call.idempotency_key is not None) == (keyed and replayed), name
    every = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert covered == every


def test_every_list_with_a_cursor_has_its_iterator() -> None:
    iterators = {
        name: member.build for name, member in vars(Api).items() if isinstance(member, Pages)
    }
    paged = {
        "iter_" + name.removeprefix("list_"): operation.build
        for name, operation in methods()
        if "cursor" in inspect.signature(operation.build).parameters
    }
    assert iterators == paged
