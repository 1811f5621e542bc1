"""Dispatch leases: a leased lead is held by its claim until confirmed, released or its lease
runs out; confirm is the gate's last word (a block that applies at that moment sends the lead
back to pending); release hands leads back at once. Time is moved by starting a second server
on the same database with its clock an hour ahead (`LEADBLOCK_CLOCK_OFFSET_S`), never by
sleeping."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadblock.services import workspaces
from leadblock.storage.db import Database
from tests.conftest import TenantFixture
from tests.server import Server, running_server
from tests.shapes import error

HOUR = 3600


@pytest.fixture
def later(database: Database, tmp_path: Path) -> Iterator[Server]:
    """A second server on the same database whose clock is an hour ahead."""
    with running_server(
        database.url, tmp_path / "later.log", LEADBLOCK_CLOCK_OFFSET_S=str(HOUR)
    ) as server:
        yield server


def campaign_with(client: httpx.Client, *identifiers: str) -> str:
    campaign = client.post("/campaigns", json={"name": "leases"}).json()["id"]
    leads = [{"publicIdentifier": ident} for ident in identifiers]
    assert client.post(f"/campaigns/{campaign}/leads", json={"leads": leads}).status_code == 200
    return str(campaign)


def dispatch(client: httpx.Client, campaign: str, **body: Any) -> dict[str, Any]:
    answer = client.post(f"/campaigns/{campaign}/dispatch", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def identifiers(leads: list[dict[str, Any]]) -> list[str]:
    return [lead["publicIdentifier"] for lead in leads]


def statuses(client: httpx.Client, campaign: str) -> dict[str, str]:
    leads = client.get(f"/campaigns/{campaign}/leads").json()
    return {lead["publicIdentifier"]: lead["status"] for lead in leads}


def claim(client: httpx.Client, campaign: str, claim_id: str, action: str, **body: Any) -> Any:
    answer = client.post(f"/campaigns/{campaign}/claims/{claim_id}/{action}", json=body or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_leased_lead_goes_to_no_other_dispatch_until_its_lease_ends(
    tenant: TenantFixture, later: Server
) -> None:
    client = tenant.client
    campaign = campaign_with(client, "lead-a", "lead-b", "lead-c")

    leased = dispatch(client, campaign, limit=2, leaseSeconds=60)
    assert identifiers(leased["leads"]) == ["lead-a", "lead-b"]
    assert leased["claimId"]
    assert leased["leaseExpiresAt"].endswith("Z")
    for lead in leased["leads"]:
        assert lead["status"] == "leased"
        assert (lead["claimId"], lead["leaseExpiresAt"]) == (
            leased["claimId"],
            leased["leaseExpiresAt"],
        )
    assert statuses(client, campaign) == {
        "lead-a": "leased",
        "lead-b": "leased",
        "lead-c": "pending",
    }

    # Neither a plain dispatch nor another lease gets them while the lease lasts.
    assert identifiers(dispatch(client, campaign, limit=10)["leads"]) == ["lead-c"]
    assert dispatch(client, campaign, limit=10, leaseSeconds=60)["leads"] == []

    # An hour later the lease has run out: they read pending and go to the next dispatch.
    with httpx.Client(base_url=later.api, headers={"x-api-key": tenant.api_key}) as ahead:
        assert statuses(ahead, campaign) == {
            "lead-a": "pending",
            "lead-b": "pending",
            "lead-c": "dispatched",
        }
        again = dispatch(ahead, campaign, limit=10, leaseSeconds=60)
        assert identifiers(again["leads"]) == ["lead-a", "lead-b"]
        assert again["claimId"] != leased["claimId"]


def test_confirm_sends_out_only_what_no_block_stops_now(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = campaign_with(client, "free-one", "opted-out", "not-this-campaign", "free-two")
    leased = dispatch(client, campaign, limit=10, leaseSeconds=600)
    claim_id = leased["claimId"]
    assert len(leased["leads"]) == 4
    ids = {lead["publicIdentifier"]: lead["id"] for lead in leased["leads"]}

    # Blocks acknowledged after the lease, before the confirm.
    opted_out = {"leads": [{"publicIdentifier": "opted-out", "reason": "asked"}]}
    assert client.post("/blocked-leads", json=opted_out).status_code == 200
    not_here = {"publicIdentifiers": ["not-this-campaign"], "reason": "replied"}
    assert client.post(f"/campaigns/{campaign}/blocked-leads", json=not_here).status_code == 200

    stranger = "0" * 32
    answer = claim(client, campaign, claim_id, "confirm", leadIds=[*ids.values(), stranger])
    assert identifiers(answer["confirmed"]) == ["free-one", "free-two"]
    assert {lead["status"] for lead in answer["confirmed"]} == {"dispatched"}
    assert [
        (
            entry["lead"]["publicIdentifier"],
            entry["lead"]["status"],
            sorted(entry),
            entry["scope"],
            entry["reason"],
            entry["expiresAt"],
        )
        for entry in answer["blocked"]
    ] == [
        (
            "opted-out",
            "pending",
            ["expiresAt", "lead", "reason", "scope"],
            "workspace",
            "asked",
            None,
        ),
        (
            "not-this-campaign",
            "pending",
            ["expiresAt", "lead", "reason", "scope"],
            "campaign",
            "replied",
            None,
        ),
    ]
    assert answer["notHeld"] == [stranger]
    assert statuses(client, campaign) == {
        "free-one": "dispatched",
        "opted-out": "pending",
        "not-this-campaign": "pending",
        "free-two": "dispatched",
    }

    # Confirmed once: a second confirm holds nothing; the blocked ones were released.
    again = claim(client, campaign, claim_id, "confirm")
    assert (again["confirmed"], again["blocked"], again["notHeld"]) == ([], [], [])
    named = claim(client, campaign, claim_id, "confirm", leadIds=[ids["free-one"]])
    assert named["notHeld"] == [ids["free-one"]]

    # Unblocked, a lead confirm sent back is eligible again; the audit trail has no lease.
    assert (
        client.request(
            "DELETE", "/blocked-leads", json={"publicIdentifiers": ["opted-out"]}
        ).json()["unblocked"]
        == 1
    )
    assert identifiers(dispatch(client, campaign, limit=10)["leads"]) == ["opted-out"]
    types = {event["type"] for event in client.get("/blocked-leads/events").json()}
    assert types == {"blocked", "unblocked"}


def test_release_hands_leads_back_at_once(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = campaign_with(client, "lead-a", "lead-b", "lead-c")
    leased = dispatch(client, campaign, limit=3, leaseSeconds=600)
    claim_id, first = leased["claimId"], leased["leads"][0]["id"]

    assert claim(client, campaign, claim_id, "release", leadIds=[first]) == {
        "success": True,
        "released": 1,
    }
    assert statuses(client, campaign)["lead-a"] == "pending"
    assert identifiers(dispatch(client, campaign, limit=10)["leads"]) == ["lead-a"]

    assert claim(client, campaign, claim_id, "release")["released"] == 2
    assert claim(client, campaign, claim_id, "release")["released"] == 0
    assert claim(client, campaign, claim_id, "confirm")["confirmed"] == []

    # Confirmed, then the message could not be sent: released, it goes out again.
    second = dispatch(client, campaign, limit=10, leaseSeconds=600)
    assert identifiers(second["leads"]) == ["lead-b", "lead-c"]
    confirmed = claim(client, campaign, second["claimId"], "confirm")["confirmed"]
    assert identifiers(confirmed) == ["lead-b", "lead-c"]
    failed = confirmed[1]["id"]
    assert claim(client, campaign, second["claimId"], "release", leadIds=[failed]) == {
        "success": True,
        "released": 1,
    }
    assert statuses(client, campaign) == {
        "lead-a": "dispatched",
        "lead-b": "dispatched",
        "lead-c": "pending",
    }
    assert identifiers(dispatch(client, campaign, limit=10)["leads"]) == ["lead-c"]


def test_a_claim_holds_its_leads_after_the_lease_until_another_claims_them(
    tenant: TenantFixture, later: Server
) -> None:
    client = tenant.client
    campaign = campaign_with(client, "lead-a", "lead-b")
    first = dispatch(client, campaign, limit=1, leaseSeconds=60)
    second = dispatch(client, campaign, limit=1, leaseSeconds=60)

    with httpx.Client(base_url=later.api, headers={"x-api-key": tenant.api_key}) as ahead:
        # Its lease ran out, nobody claimed it since: the first claim may still confirm.
        confirmed = claim(ahead, campaign, first["claimId"], "confirm")
        assert identifiers(confirmed["confirmed"]) == ["lead-a"]
        # Its lease ran out and a later dispatch claimed it: the old claim no longer holds it.
        third = dispatch(ahead, campaign, limit=10, leaseSeconds=60)
        assert identifiers(third["leads"]) == ["lead-b"]
        lead_b = third["leads"][0]["id"]
        late = claim(ahead, campaign, second["claimId"], "confirm", leadIds=[lead_b])
        assert (late["confirmed"], late["notHeld"]) == ([], [lead_b])
        assert claim(ahead, campaign, second["claimId"], "release")["released"] == 0
        assert identifiers(claim(ahead, campaign, third["claimId"], "confirm")["confirmed"]) == [
            "lead-b"
        ]


def test_lead_ids_that_are_no_lead_of_the_claim_are_not_held(tenant: TenantFixture) -> None:
    """Any text in `leadIds` is a lead the claim does not hold (as an unknown id in a path is
    not found): never a 400 or a 500, whatever the database makes of the text."""
    client = tenant.client
    campaign = campaign_with(client, "lead-a")
    leased = dispatch(client, campaign, limit=1, leaseSeconds=600)
    odd = ["", "\x00", "a\x00b", "\U0001f600", "'; DROP TABLE x; --", "\u00e9" * 200, "0" * 32]
    confirmed = claim(client, campaign, leased["claimId"], "confirm", leadIds=odd)
    assert confirmed["confirmed"] == []
    assert confirmed["notHeld"] == odd
    assert claim(client, campaign, leased["claimId"], "release", leadIds=odd)["released"] == 0
    assert statuses(client, campaign) == {"lead-a": "leased"}


def test_leases_are_refused_when_out_of_range_or_to_readers(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client
    campaign = campaign_with(client, "lead-a")
    for seconds in (0, 9, 86_401, 1.5, "60"):
        answer = client.post(f"/campaigns/{campaign}/dispatch", json={"leaseSeconds": seconds})
        assert answer.status_code == 400, (seconds, answer.text)
        assert answer.json()["code"] == "invalid_input"
    too_many = {"leadIds": [f"{n:032x}" for n in range(1001)]}
    answer = client.post(f"/campaigns/{campaign}/claims/{'0' * 32}/confirm", json=too_many)
    assert answer.status_code == 400
    for action in ("confirm", "release"):
        unknown = client.post(f"/campaigns/{'f' * 32}/claims/{'0' * 32}/{action}")
        assert unknown.status_code == 404
        assert unknown.json() == error("not_found", "Campaign not found.")
        refused = read_only_client.post(f"/campaigns/{campaign}/claims/{'0' * 32}/{action}")
        assert refused.status_code == 403
    assert (
        read_only_client.post(
            f"/campaigns/{campaign}/dispatch", json={"leaseSeconds": 60}
        ).status_code
        == 403
    )


def test_leases_survive_sigkill(database: Database, tmp_path: Path) -> None:
    with database.transaction(write=True) as tx:
        _workspace, _key, api_key = workspaces.create_workspace(tx, "leases")
    headers = {"x-api-key": api_key}
    with running_server(database.url, tmp_path / "first.log") as server:
        with httpx.Client(base_url=server.api, headers=headers) as client:
            campaign = campaign_with(client, "lead-a", "lead-b")
            leased = dispatch(client, campaign, limit=1, leaseSeconds=600)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    with (
        running_server(database.url, tmp_path / "second.log") as server,
        httpx.Client(base_url=server.api, headers=headers) as client,
    ):
        # The restarted server honours the lease...
        assert identifiers(dispatch(client, campaign, limit=10)["leads"]) == ["lead-b"]
        assert statuses(client, campaign)["lead-a"] == "leased"
    with (
        running_server(
            database.url, tmp_path / "later.log", LEADBLOCK_CLOCK_OFFSET_S=str(HOUR)
        ) as server,
        httpx.Client(base_url=server.api, headers=headers) as client,
    ):
        # ... and expires it.
        assert identifiers(dispatch(client, campaign, limit=10)["leads"]) == ["lead-a"]
        late = claim(client, campaign, leased["claimId"], "confirm")
        assert late["notHeld"] == []
        assert late["confirmed"] == []
