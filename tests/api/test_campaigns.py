"""Campaigns, campaign blocklists, leads and the dispatch gate, against a real server."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from tests.conftest import TenantFixture


def create_campaign(client: httpx.Client, name: str = "Q4 outreach") -> str:
    response = client.post("/campaigns", json={"name": name})
    assert response.status_code == 200, response.text
    campaign_id: str = response.json()["id"]
    return campaign_id


def enrol(client: httpx.Client, campaign_id: str, *identifiers: str) -> Any:
    leads = [{"publicIdentifier": ident} for ident in identifiers]
    response = client.post(f"/campaigns/{campaign_id}/leads", json={"leads": leads})
    assert response.status_code == 200, response.text
    return response.json()


def dispatch(client: httpx.Client, campaign_id: str, limit: int = 100) -> list[str]:
    response = client.post(f"/campaigns/{campaign_id}/dispatch", json={"limit": limit})
    assert response.status_code == 200, response.text
    return [lead["publicIdentifier"] for lead in response.json()["leads"]]


def block_workspace(client: httpx.Client, *identifiers: str) -> None:
    leads = [{"publicIdentifier": ident} for ident in identifiers]
    assert client.post("/blocked-leads", json={"leads": leads}).status_code == 200


def unblock_workspace(client: httpx.Client, *identifiers: str) -> None:
    body = {"publicIdentifiers": list(identifiers)}
    assert client.request("DELETE", "/blocked-leads", json=body).status_code == 200


def test_campaign_crud(tenant: TenantFixture) -> None:
    client = tenant.client
    created = client.post("/campaigns", json={"name": "  Spring launch  "}).json()
    assert created["success"] is True
    assert created["name"] == "Spring launch"
    assert set(created) >= {"id", "name", "createdAt"}
    second = create_campaign(client, "Second")
    assert client.get(f"/campaigns/{created['id']}").json() == {
        "id": created["id"],
        "name": "Spring launch",
        "createdAt": created["createdAt"],
    }
    listed = client.get("/campaigns")
    assert listed.headers["X-Total-Count"] == "2"
    assert [c["id"] for c in listed.json()] == [second, created["id"]]
    first_page = client.get("/campaigns", params={"limit": 1})
    rest = client.get("/campaigns", params={"cursor": first_page.headers["X-Next-Cursor"]})
    assert [c["id"] for c in first_page.json() + rest.json()] == [second, created["id"]]
    for bad in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"name": 5}, {}):
        assert client.post("/campaigns", json=bad).status_code == 400
    too_long = client.post("/campaigns", json={"name": " " + "x" * 201})
    assert too_long.json()["errors"][0]["message"] == (
        "name: value error, at most 200 characters once trimmed."
    )
    # 1–200 characters once trimmed: the padding does not count, and is not kept.
    padded = client.post("/campaigns", json={"name": "  " + "y" * 200 + " \n"})
    assert padded.status_code == 200, padded.text
    assert padded.json()["name"] == "y" * 200
    assert client.delete(f"/campaigns/{padded.json()['id']}").status_code == 200
    assert client.delete(f"/campaigns/{second}").json()["success"] is True
    assert client.get(f"/campaigns/{second}").status_code == 404
    assert client.delete(f"/campaigns/{second}").status_code == 404


def test_campaign_blocklist_in_walead_shapes(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    answer = client.post(
        f"/campaigns/{campaign}/blocked-leads",
        json={
            "publicIdentifiers": ["Ann-Lee", "https://www.linkedin.com/in/ann-lee/", "bo-chen"],
            "reason": "  competitor  ",
        },
    ).json()
    assert answer["success"] is True
    assert isinstance(answer["message"], str)
    assert (answer["blocked"], answer["alreadyBlocked"], answer["duplicates"]) == (2, 0, 1)
    again = client.post(
        f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["bo-chen"]}
    )
    assert again.json()["alreadyBlocked"] == 1
    listed = client.get(f"/campaigns/{campaign}/blocked-leads").json()
    assert sorted(listed, key=lambda b: b["publicIdentifier"]) == [
        {
            "publicIdentifier": "ann-lee",
            "reason": "competitor",
            "createdAt": listed[0]["createdAt"],
            "expiresAt": None,
        },
        {
            "publicIdentifier": "bo-chen",
            "reason": "competitor",
            "createdAt": listed[0]["createdAt"],
            "expiresAt": None,
        },
    ]
    too_long = client.post(
        f"/campaigns/{campaign}/blocked-leads",
        json={"publicIdentifiers": ["fine-one"], "reason": "r" * 501},
    )
    assert too_long.status_code == 400
    assert "500" in too_long.json()["message"]
    invalid = client.post(
        f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["fine-one", "@bad"]}
    )
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["index"] == 1
    removed = client.request(
        "DELETE", f"/campaigns/{campaign}/blocked-leads", json=["ANN-LEE", "never-there"]
    ).json()
    assert (removed["success"], removed["unblocked"]) == (True, 1)
    assert removed["notFound"] == ["never-there"]
    assert [
        b["publicIdentifier"] for b in client.get(f"/campaigns/{campaign}/blocked-leads").json()
    ] == ["bo-chen"]
    bad_delete = client.request("DELETE", f"/campaigns/{campaign}/blocked-leads", json=["/in/x"])
    assert bad_delete.status_code == 400
    events = client.get("/blocked-leads/events").json()
    assert [(e["type"], e["publicIdentifier"], e["scope"], e["campaignId"]) for e in events][
        :1
    ] == [("unblocked", "ann-lee", "campaign", campaign)]
    assert {e["scope"] for e in events} == {"campaign"}
    assert len(events) == 3


def test_campaign_blocks_skip_and_take(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    identifiers = [f"person-{i:03d}" for i in range(25)]
    client.post(f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": identifiers})
    default = client.get(f"/campaigns/{campaign}/blocked-leads")
    assert len(default.json()) == 10
    assert default.headers["X-Total-Count"] == "25"
    pages = [
        client.get(f"/campaigns/{campaign}/blocked-leads", params={"skip": skip, "take": 10}).json()
        for skip in (0, 10, 20)
    ]
    seen = [b["publicIdentifier"] for page in pages for b in page]
    assert sorted(seen) == identifiers
    assert (
        client.get(f"/campaigns/{campaign}/blocked-leads", params={"take": 101}).status_code == 400
    )
    assert (
        client.get(f"/campaigns/{campaign}/blocked-leads", params={"take": 100}).status_code == 200
    )
    assert (
        client.get(f"/campaigns/{campaign}/blocked-leads", params={"skip": -1}).status_code == 400
    )


def test_campaign_blocks_page_by_cursor_too(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    url = f"/campaigns/{campaign}/blocked-leads"
    # One request: every block shares its createdAt, so the identifier breaks the tie (and a
    # non-ASCII identifier travels inside the cursor).
    identifiers = [f"person-{i:03d}" for i in range(23)] + ["josé-garcía", "zoë-🦄-fan"]
    client.post(url, json={"publicIdentifiers": identifiers})
    everything = client.get(url, params={"take": 100}).json()
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == "25"
        pages.append(response.json())
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"].endswith('; rel="next"')
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [block for page in pages for block in page] == everything
    assert sorted(block["publicIdentifier"] for block in everything) == sorted(identifiers)
    mixed = client.get(url, params={"skip": 10, "limit": 10})
    assert mixed.status_code == 400
    assert mixed.json() == {
        "success": False,
        "code": "invalid_input",
        "message": "Page with skip/take or with limit/cursor, not both.",
        "errors": [],
    }


def test_enrol_list_and_dispatch(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    block_workspace(client, "blocked-one")
    client.post(
        f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["camp-blocked"]}
    )
    answer = client.post(
        f"/campaigns/{campaign}/leads",
        json={
            "leads": [
                {
                    "publicIdentifier": "https://www.linkedin.com/in/Free-One",
                    "firstName": " Ada ",
                    "lastName": "Lovelace",
                    "companyName": "Engines Ltd",
                    "email": "ada@example.com",
                },
                {"publicIdentifier": "blocked-one"},
                {"publicIdentifier": "camp-blocked"},
                {"publicIdentifier": "free-two"},
                {"publicIdentifier": "FREE-ONE"},
            ]
        },
    ).json()
    assert (
        answer["added"],
        answer["alreadyInCampaign"],
        answer["blocked"],
        answer["duplicates"],
    ) == (
        4,
        0,
        2,
        1,
    )
    assert enrol(client, campaign, "free-two", "free-three")["alreadyInCampaign"] == 1
    listed = client.get(f"/campaigns/{campaign}/leads")
    assert listed.headers["X-Total-Count"] == "5"
    leads = {lead["publicIdentifier"]: lead for lead in listed.json()}
    assert list(leads) == ["free-one", "blocked-one", "camp-blocked", "free-two", "free-three"]
    assert leads["free-one"]["firstName"] == "Ada"
    assert leads["free-one"]["email"] == "ada@example.com"
    assert leads["free-one"]["blocked"] is None
    assert leads["blocked-one"]["blocked"] == {
        "scope": "workspace",
        "reason": None,
        "expiresAt": None,
    }
    assert leads["camp-blocked"]["blocked"] == {
        "scope": "campaign",
        "reason": None,
        "expiresAt": None,
    }
    assert {lead["status"] for lead in leads.values()} == {"pending"}

    first = client.post(f"/campaigns/{campaign}/dispatch", json={"limit": 2}).json()
    assert first["success"] is True
    assert [lead["publicIdentifier"] for lead in first["leads"]] == ["free-one", "free-two"]
    assert {lead["status"] for lead in first["leads"]} == {"dispatched"}
    assert dispatch(client, campaign) == ["free-three"]
    assert dispatch(client, campaign) == []
    statuses = {
        lead["publicIdentifier"]: lead["status"]
        for lead in client.get(f"/campaigns/{campaign}/leads").json()
    }
    assert statuses == {
        "free-one": "dispatched",
        "blocked-one": "pending",
        "camp-blocked": "pending",
        "free-two": "dispatched",
        "free-three": "dispatched",
    }
    # No body means the default limit of 100.
    assert client.post(f"/campaigns/{campaign}/dispatch").json()["leads"] == []


def test_enrol_and_dispatch_validation(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    invalid = client.post(
        f"/campaigns/{campaign}/leads",
        json={
            "leads": [
                {"publicIdentifier": "fine-lead"},
                {"publicIdentifier": "linkedin.com/company/acme"},
                {"publicIdentifier": "good-lead", "email": "not-an-email"},
                {"publicIdentifier": "other-lead", "firstName": "x" * 201},
            ]
        },
    )
    assert invalid.status_code == 400
    assert [e["index"] for e in invalid.json()["errors"]] == [1, 2, 3]
    assert client.get(f"/campaigns/{campaign}/leads").json() == []
    too_many = [{"publicIdentifier": f"lead-{i}"} for i in range(10_001)]
    assert client.post(f"/campaigns/{campaign}/leads", json={"leads": too_many}).status_code == 400
    for limit in (0, 1001, "ten"):
        response = client.post(f"/campaigns/{campaign}/dispatch", json={"limit": limit})
        assert response.status_code == 400, limit
    assert client.post("/campaigns/missing/dispatch", json={"limit": 1}).status_code == 404
    assert (
        client.post(
            "/campaigns/missing/leads", json={"leads": [{"publicIdentifier": "abc"}]}
        ).status_code
        == 404
    )


def test_workspace_block_always_wins(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    enrol(client, campaign, "vip-client")
    block_workspace(client, "vip-client")
    client.post(f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["vip-client"]})
    check = client.post(
        "/blocked-leads/check", json={"publicIdentifiers": ["vip-client"], "campaignId": campaign}
    ).json()["results"][0]
    assert (check["blocked"], check["scope"]) == (True, "workspace")
    # Campaign-level actions never make a workspace-blocked lead dispatchable.
    client.request("DELETE", f"/campaigns/{campaign}/blocked-leads", json=["vip-client"])
    enrol(client, campaign, "vip-client")
    assert dispatch(client, campaign) == []
    other = create_campaign(client, "other")
    enrol(client, other, "vip-client")
    assert dispatch(client, other) == []
    one = client.get(
        "/blocked-leads/check", params={"publicIdentifier": "vip-client", "campaignId": campaign}
    ).json()["results"][0]
    assert one["scope"] == "workspace"
    # Unblocking restores eligibility of the still-pending lead.
    unblock_workspace(client, "vip-client")
    assert dispatch(client, campaign) == ["vip-client"]
    assert dispatch(client, campaign) == []


def test_blocks_added_after_enrolment_are_honoured(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    enrol(client, campaign, "late-a", "late-b", "late-c")
    client.post(f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["late-a"]})
    block_workspace(client, "late-b")
    assert dispatch(client, campaign) == ["late-c"]
    client.request("DELETE", f"/campaigns/{campaign}/blocked-leads", json=["late-a"])
    assert dispatch(client, campaign) == ["late-a"]
    unblock_workspace(client, "late-b")
    assert dispatch(client, campaign) == ["late-b"]


def test_check_with_campaign(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    client.post(
        f"/campaigns/{campaign}/blocked-leads",
        json={"publicIdentifiers": ["only-here"], "reason": "asked this campaign"},
    )
    body = {"publicIdentifiers": ["only-here", "nowhere"], "campaignId": campaign}
    here, nowhere = client.post("/blocked-leads/check", json=body).json()["results"]
    assert (here["blocked"], here["scope"], here["reason"]) == (
        True,
        "campaign",
        "asked this campaign",
    )
    assert here["blockedAt"].endswith("Z")
    assert (nowhere["blocked"], nowhere["scope"]) == (False, None)
    assert (here["contactable"], nowhere["contactable"]) == (False, True)
    without = client.post("/blocked-leads/check", json={"publicIdentifiers": ["only-here"]}).json()
    assert without["results"][0]["blocked"] is False
    assert without["results"][0]["contactable"] is True
    unknown = client.post(
        "/blocked-leads/check", json={"publicIdentifiers": ["x-y-z"], "campaignId": "nope"}
    )
    assert unknown.status_code == 404


def test_deleting_a_campaign_keeps_its_history(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    enrol(client, campaign, "kept-lead")
    client.post(f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["kept-lead"]})
    client.delete(f"/campaigns/{campaign}")
    for path in ("leads", "blocked-leads"):
        assert client.get(f"/campaigns/{campaign}/{path}").status_code == 404
    events = client.get("/blocked-leads/events").json()
    assert [(e["type"], e["campaignId"]) for e in events] == [
        ("unblocked", campaign),
        ("blocked", campaign),
    ]
    # A new campaign starts empty even for the same leads.
    fresh = create_campaign(client)
    assert enrol(client, fresh, "kept-lead")["added"] == 1
    assert dispatch(client, fresh) == ["kept-lead"]


def test_read_only_key_cannot_touch_campaigns(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    campaign = create_campaign(tenant.client)
    enrol(tenant.client, campaign, "some-lead")
    assert read_only_client.get(f"/campaigns/{campaign}/leads").status_code == 200
    for method, path, body in (
        ("POST", "/campaigns", {"name": "x"}),
        ("DELETE", f"/campaigns/{campaign}", None),
        ("POST", f"/campaigns/{campaign}/blocked-leads", {"publicIdentifiers": ["abc"]}),
        ("DELETE", f"/campaigns/{campaign}/blocked-leads", ["abc"]),
        ("POST", f"/campaigns/{campaign}/leads", {"leads": [{"publicIdentifier": "abc"}]}),
        ("POST", f"/campaigns/{campaign}/dispatch", {"limit": 1}),
    ):
        assert read_only_client.request(method, path, json=body).status_code == 403, path
    assert dispatch(tenant.client, campaign) == ["some-lead"]


@pytest.mark.slow
def test_concurrent_dispatchers_never_share_a_lead_and_honour_a_block(
    tenant: TenantFixture,
) -> None:
    client = tenant.client
    campaign = create_campaign(client)
    identifiers = [f"lead-{i:04d}" for i in range(2000)]
    enrol(client, campaign, *identifiers)
    to_block = set(identifiers[1500:])  # dispatched last, so still pending when blocked
    dispatched: list[tuple[float, list[str]]] = []  # (send time, leads) per dispatch
    lock = threading.Lock()
    started = threading.Barrier(9)
    blocked_at: list[float] = []

    def dispatcher() -> None:
        with httpx.Client(
            base_url=str(client.base_url), headers=dict(client.headers), timeout=60
        ) as own:
            started.wait()
            for _ in range(2000):
                sent = time.monotonic()
                leads = dispatch(own, campaign, limit=3)
                with lock:
                    dispatched.append((sent, leads))
                if not leads:
                    return

    threads = [threading.Thread(target=dispatcher) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.wait()
    while sum(len(leads) for _, leads in dispatched) < 200:
        time.sleep(0.01)
    block_workspace(client, *sorted(to_block))
    blocked_at.append(time.monotonic())  # after the acknowledgement arrived
    for thread in threads:
        thread.join()

    every = [lead for _, leads in dispatched for lead in leads]
    assert len(every) == len(set(every)), "a lead was dispatched twice"
    after_block = [lead for sent, leads in dispatched if sent > blocked_at[0] for lead in leads]
    assert after_block, "no dispatch ran after the block; the test proved nothing"
    assert not to_block & set(after_block)
    # Every lead that was not blocked went out exactly once; the blocked ones wait, pending.
    assert set(every) | to_block == set(identifiers)
    pending = to_block - set(every)
    assert pending
    unblock_workspace(client, *sorted(pending))
    assert sorted(dispatch(client, campaign, limit=1000)) == sorted(pending)
