"""The direct route of `GET /blocked-leads/check` answers exactly as its FastAPI route.

The direct handler takes the plain form of the query only (each parameter once, none other);
one unknown parameter more makes it leave the request to the route, which ignores that
parameter. So each request below is sent both ways and the two answers must be the same:
status, body and the headers a client reads.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from leadblock.services import keys
from leadblock.storage.db import Database
from tests.conftest import TenantFixture

CHECK = "/blocked-leads/check"
COMPARED_HEADERS = ("content-type", "ratelimit-limit", "allow", "retry-after")


def _both_ways(client: httpx.Client, query: str, **headers: str) -> tuple[object, object]:
    direct = client.get(f"{CHECK}?{query}", headers=headers)
    routed = client.get(f"{CHECK}?{query}&routed=1", headers=headers)
    return _answer(direct), _answer(routed)


def _answer(response: httpx.Response) -> object:
    body = response.json() if response.content else None
    return (
        response.status_code,
        body,
        {name: response.headers.get(name) for name in COMPARED_HEADERS},
    )


def _query(**fields: str) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())


@pytest.fixture
def prepared(tenant: TenantFixture, other_tenant: TenantFixture) -> dict[str, str]:
    """A blocked lead, a campaign with a block of its own, and another workspace's campaign."""
    client = tenant.client
    client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "direct-a", "reason": "Opted out"}]}
    ).raise_for_status()
    campaign = client.post("/campaigns", json={"name": "Direct"}).json()["id"]
    client.post(
        f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["direct-c"]}
    ).raise_for_status()
    foreign = other_tenant.client.post("/campaigns", json={"name": "Theirs"}).json()["id"]
    return {"campaign": campaign, "foreign": foreign}


@pytest.mark.parametrize(
    "fields",
    [
        {"publicIdentifier": "direct-a"},
        {"publicIdentifier": "https://www.linkedin.com/in/Direct-A/?trk=x"},
        {"publicIdentifier": "direct-b"},
        {"publicIdentifier": "direct-c", "campaignId": "{campaign}"},
        {"publicIdentifier": "direct-a", "campaignId": "{campaign}"},
        {"publicIdentifier": "direct-c", "campaignId": "{foreign}"},
        {"publicIdentifier": "direct-c", "campaignId": "no-such-campaign"},
        {"publicIdentifier": "direct-c", "campaignId": ""},
        {"publicIdentifier": "https://example.com/in/direct-a"},
        {"publicIdentifier": "ab"},
        {"publicIdentifier": "ürsula-ünal"},
        {"publicIdentifier": "x" * 2048},
        {"publicIdentifier": "x" * 2049},
        {"publicIdentifier": ""},
        {"campaignId": "{campaign}"},
    ],
    ids=lambda fields: ",".join(f"{k}={v[:20]}" for k, v in fields.items()) or "none",
)
def test_the_direct_check_answers_as_the_route(
    tenant: TenantFixture, prepared: dict[str, str], fields: dict[str, str]
) -> None:
    query = _query(**{name: value.format(**prepared) for name, value in fields.items()})
    direct, routed = _both_ways(tenant.client, query)
    assert direct == routed


def test_keys_are_refused_and_charged_alike(
    tenant: TenantFixture, database: Database, prepared: dict[str, str]
) -> None:
    with database.transaction(write=True) as tx:
        _key, read_only = keys.create_key(tx, tenant.workspace_id, read_only=True)
        revoked_key, revoked = keys.create_key(tx, tenant.workspace_id)
        keys.revoke_key(tx, revoked_key.id)
    query = _query(publicIdentifier="direct-a")
    wrong = tenant.api_key[:-1] + ("x" if tenant.api_key[-1] != "x" else "y")
    for key in (read_only, revoked, "lb_short", wrong, ""):
        direct, routed = _both_ways(tenant.client, query, **{"x-api-key": key})
        assert direct == routed, key
    anonymous = httpx.Client(base_url=tenant.client.base_url)
    with anonymous:
        assert _answer(anonymous.get(f"{CHECK}?{query}")) == _answer(
            anonymous.get(f"{CHECK}?{query}&routed=1")
        )


def test_repeated_parameters_are_left_to_the_route(tenant: TenantFixture) -> None:
    """FastAPI reads the last of a repeated parameter: the direct handler never guesses."""
    tenant.client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "second-one"}]})
    answer = tenant.client.get(f"{CHECK}?publicIdentifier=first-one&publicIdentifier=second-one")
    assert answer.status_code == 200
    assert answer.json()["results"][0]["publicIdentifier"] == "second-one"
    assert answer.json()["results"][0]["blocked"] is True


def test_head_of_a_direct_check_is_its_get_without_a_body(tenant: TenantFixture) -> None:
    query = _query(publicIdentifier="direct-head")
    get = tenant.client.get(f"{CHECK}?{query}")
    head = tenant.client.head(f"{CHECK}?{query}")
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert json.loads(get.content)["results"][0]["blocked"] is False
