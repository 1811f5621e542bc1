"""The direct routes of `GET /blocked-leads/check` and `POST /blocked-leads` answer exactly as
their FastAPI routes.

A direct handler takes the plain form of its request only (the check: each parameter once,
none other; the block: no query, a body that is a valid `BlockRequest`); one unknown query
parameter more makes it leave the request to the route, which ignores that parameter. So each
request below is sent both ways and the two answers must be the same: status, body and the
headers a client reads (a block's new ids and times aside, each made afresh).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from leadblock.services import keys
from leadblock.storage.db import Database
from tests.conftest import TenantFixture, new_tenant
from tests.server import Server

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


BLOCK = "/blocked-leads"
LATER, SOONER = "2031-01-01T00:00:00Z", "2030-01-01T00:00:00Z"
FRESH = ("id", "createdAt", "workspaceId")


def _lead(identifier: str, **fields: object) -> dict[str, object]:
    return {"publicIdentifier": identifier, **fields}


@pytest.mark.parametrize(
    "body",
    [
        {"leads": [_lead("fresh-one")]},
        {"leads": [_lead("fresh-one", reason="  Opted   out ")]},
        {"leads": [_lead("https://www.linkedin.com/in/Fresh-One/?trk=x", expiresAt=LATER)]},
        {"leads": [_lead("already-there"), _lead("fresh-one"), _lead("Fresh-One")]},
        {"leads": [_lead("already-there", expiresAt=LATER)]},
        {"leads": [_lead("already-there", expiresAt=SOONER)]},
        {"leads": [_lead("ab")]},
        {"leads": [_lead("fresh-one", expiresAt="tomorrow")]},
        {"leads": [_lead("fresh-one", expiresAt="2001-01-01T00:00:00Z")]},
        {"leads": [_lead("fresh-one", reason="x" * 2000)]},
        {"leads": [_lead("fresh-one", extra=1)]},
        {"leads": [_lead("")]},
        {"leads": [{"reason": "no identifier"}]},
        {"leads": [_lead(12)]},
        {"leads": []},
        {"leads": [_lead(f"lead-{n}") for n in range(10_001)]},
        {"leads": "fresh-one"},
        {"lead": [_lead("fresh-one")]},
        [_lead("fresh-one")],
        "fresh-one",
        None,
    ],
    ids=lambda body: json.dumps(body)[:40],
)
def test_the_direct_block_answers_as_the_route(
    database: Database, server: Server, body: object
) -> None:
    content = json.dumps(body).encode()
    direct, routed = _blocked_both_ways(database, server, content)
    assert direct == routed


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b'{"leads": [{"publicIdentifier": "a\\ud800b"}]}', b"NaN", b"\xff\xfe"],
    ids=["empty", "truncated", "lone surrogate", "NaN", "not UTF-8"],
)
def test_bodies_that_are_not_json_are_refused_alike(
    database: Database, server: Server, content: bytes
) -> None:
    direct, routed = _blocked_both_ways(database, server, content)
    assert direct == routed
    assert direct[0] == 400


def test_block_keys_are_refused_and_charged_alike(
    database: Database, server: Server, tenant: TenantFixture
) -> None:
    with database.transaction(write=True) as tx:
        _key, read_only = keys.create_key(tx, tenant.workspace_id, read_only=True)
        revoked_key, revoked = keys.create_key(tx, tenant.workspace_id)
        keys.revoke_key(tx, revoked_key.id)
    content = json.dumps({"leads": [_lead("fresh-one")]}).encode()
    wrong = tenant.api_key[:-1] + ("x" if tenant.api_key[-1] != "x" else "y")
    for key in (read_only, revoked, "lb_short", wrong, ""):
        direct, routed = _blocked_both_ways(database, server, content, {"x-api-key": key})
        assert direct == routed, key
        assert direct[0] in (401, 403), key


def test_an_idempotent_block_is_replayed_alike(database: Database, server: Server) -> None:
    content = json.dumps({"leads": [_lead("fresh-one")]}).encode()
    headers = {"idempotency-key": "direct-replay-1"}
    first = _blocked_both_ways(database, server, content, headers, repeat=2)
    assert first[0] == first[1]


def _blocked_both_ways(
    database: Database,
    server: Server,
    content: bytes,
    headers: dict[str, str] | None = None,
    repeat: int = 1,
) -> tuple[object, object]:
    """The same block sent directly to one fresh workspace and routed to another, each holding
    `already-there` until 2030-06-01: their answers, the last of `repeat` sends each."""
    answers = []
    for query in ("", "?routed=1"):
        tenant = new_tenant(database, server)
        with tenant.client as client:
            client.post(
                BLOCK, json={"leads": [_lead("already-there", expiresAt="2030-06-01T00:00:00Z")]}
            ).raise_for_status()
            for _ in range(repeat):
                response = client.post(
                    BLOCK + query,
                    content=content,
                    headers={"content-type": "application/json", **(headers or {})},
                )
            answers.append(_answer(response))
    return _without_fresh_values(answers[0]), _without_fresh_values(answers[1])


def _without_fresh_values(value: object) -> object:
    if isinstance(value, dict):
        return {k: "…" if k in FRESH else _without_fresh_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_fresh_values(item) for item in value]
    return value
