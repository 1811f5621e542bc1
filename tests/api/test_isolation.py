"""A key of one workspace never sees or changes another workspace's data: every route, walked
with a foreign key. A new route fails `test_every_route_is_walked` until it is added here."""

from __future__ import annotations

import httpx

from tests.conftest import TenantFixture
from tests.receiver import Receiver, eventually
from tests.server import Server
from tests.shapes import block_answer, blocked_lead, check_answer, error, free

LEAD_NOT_FOUND = error("not_found", "Blocked lead not found.")
CAMPAIGN_NOT_FOUND = error("not_found", "Campaign not found.")
COMPANY_NOT_FOUND = error("not_found", "Company block not found.")
WEBHOOK_NOT_FOUND = error("not_found", "Webhook not found.")

WALKED = {
    ("post", "/api/v1/blocked-leads"),
    ("get", "/api/v1/blocked-leads"),
    ("delete", "/api/v1/blocked-leads"),
    ("post", "/api/v1/blocked-leads/check"),
    ("get", "/api/v1/blocked-leads/check"),
    ("get", "/api/v1/blocked-leads/export"),
    ("post", "/api/v1/blocked-leads/import"),
    ("get", "/api/v1/blocked-leads/events"),
    ("get", "/api/v1/blocked-leads/{lead_id}"),
    ("patch", "/api/v1/blocked-leads/{lead_id}"),
    ("delete", "/api/v1/blocked-leads/{lead_id}"),
    ("post", "/api/v1/campaigns"),
    ("get", "/api/v1/campaigns"),
    ("get", "/api/v1/campaigns/{campaign_id}"),
    ("delete", "/api/v1/campaigns/{campaign_id}"),
    ("post", "/api/v1/campaigns/{campaign_id}/blocked-leads"),
    ("get", "/api/v1/campaigns/{campaign_id}/blocked-leads"),
    ("delete", "/api/v1/campaigns/{campaign_id}/blocked-leads"),
    ("post", "/api/v1/campaigns/{campaign_id}/leads"),
    ("get", "/api/v1/campaigns/{campaign_id}/leads"),
    ("post", "/api/v1/campaigns/{campaign_id}/dispatch"),
    ("post", "/api/v1/campaigns/{campaign_id}/claims/{claim_id}/confirm"),
    ("post", "/api/v1/campaigns/{campaign_id}/claims/{claim_id}/release"),
    ("post", "/api/v1/company-blocks"),
    ("get", "/api/v1/company-blocks"),
    ("delete", "/api/v1/company-blocks"),
    ("get", "/api/v1/company-blocks/export"),
    ("post", "/api/v1/company-blocks/import"),
    ("get", "/api/v1/company-blocks/{block_id}"),
    ("patch", "/api/v1/company-blocks/{block_id}"),
    ("delete", "/api/v1/company-blocks/{block_id}"),
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{webhook_id}"),
    ("patch", "/api/v1/webhooks/{webhook_id}"),
    ("delete", "/api/v1/webhooks/{webhook_id}"),
    ("post", "/api/v1/webhooks/{webhook_id}/rotate-secret"),
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/v1/webhooks/{webhook_id}/test"),
}


def test_every_route_is_walked(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    routes = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert routes == WALKED


def test_foreign_key_sees_and_changes_nothing(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    owner, intruder = tenant.client, other_tenant.client
    [lead] = owner.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "secret-lead", "reason": "private"}]}
    ).json()["leads"]
    lead_id = lead["id"]

    for answer in (
        intruder.get(f"/blocked-leads/{lead_id}"),
        intruder.patch(f"/blocked-leads/{lead_id}", json={"reason": "hijack"}),
        intruder.delete(f"/blocked-leads/{lead_id}"),
    ):
        assert answer.status_code == 404
        assert answer.json() == LEAD_NOT_FOUND
    by_id = intruder.request("DELETE", "/blocked-leads", json=[lead_id]).json()
    assert by_id == {
        "success": True,
        "message": "0 lead(s) unblocked.",
        "unblocked": 0,
        "notFound": [lead_id],
    }
    by_identifier = intruder.request(
        "DELETE", "/blocked-leads", json={"publicIdentifiers": ["secret-lead"]}
    ).json()
    assert by_identifier == {
        "success": True,
        "message": "0 lead(s) unblocked.",
        "unblocked": 0,
        "notFound": ["secret-lead"],
    }

    listed = intruder.get("/blocked-leads", params={"search": "secret"})
    assert listed.json() == []
    assert listed.headers["X-Total-Count"] == "0"
    assert (
        intruder.get("/blocked-leads/export").text
        == "publicIdentifier,reason,createdAt,id,expiresAt\r\n"
    )
    assert intruder.get("/blocked-leads/events").json() == []
    post_check = intruder.post("/blocked-leads/check", json={"publicIdentifiers": ["secret-lead"]})
    assert post_check.json() == check_answer(free("secret-lead"))
    get_check = intruder.get("/blocked-leads/check", params={"publicIdentifier": "secret-lead"})
    assert get_check.json() == check_answer(free("secret-lead"))

    # Writes by the intruder create the intruder's own records, never touch the owner's.
    mine = intruder.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "secret-lead", "reason": "mine"}]}
    ).json()
    [own] = mine["leads"]
    assert mine == block_answer(
        [blocked_lead(own, "secret-lead", "mine", other_tenant.workspace_id)], blocked=1
    )
    assert own["id"] != lead_id
    imported = intruder.post(
        "/blocked-leads/import", content=b"publicIdentifier,reason\nsecret-lead,x\n"
    )
    assert imported.json() == {
        "success": True,
        "message": "0 lead(s) blocked from 1 row(s).",
        "rows": 1,
        "blocked": 0,
        "alreadyBlocked": 1,
        "extended": 0,
        "duplicates": 0,
    }

    assert owner.get(f"/blocked-leads/{lead_id}").json() == lead
    owner_events = owner.get("/blocked-leads/events").json()
    assert [(e["type"], e["reason"]) for e in owner_events] == [("blocked", "private")]
    # A cursor issued to one workspace pages nothing of another's.
    owner.post("/blocked-leads", json={"leads": [{"publicIdentifier": "second-secret"}]})
    cursor = owner.get("/blocked-leads", params={"limit": 1}).headers["X-Next-Cursor"]
    # It is only a position: the intruder's own rows older than the owner's newest (the
    # intruder's block came before that one), as its first page would show them.
    paged = intruder.get("/blocked-leads", params={"cursor": cursor}).json()
    assert paged == [own]
    assert intruder.get("/blocked-leads").json() == [own]


def test_foreign_key_cannot_reach_another_workspace_campaign(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    owner, intruder = tenant.client, other_tenant.client
    created = owner.post("/campaigns", json={"name": "private"}).json()
    campaign = created["id"]
    owner.post(f"/campaigns/{campaign}/leads", json={"leads": [{"publicIdentifier": "lead-one"}]})
    owner.post(f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["lead-two"]})
    leased = owner.post(f"/campaigns/{campaign}/dispatch", json={"leaseSeconds": 600}).json()
    claim = f"/campaigns/{campaign}/claims/{leased['claimId']}"
    [held] = [lead["id"] for lead in leased["leads"]]

    attempts = [
        ("GET", f"/campaigns/{campaign}", None),
        ("DELETE", f"/campaigns/{campaign}", None),
        ("POST", f"/campaigns/{campaign}/blocked-leads", {"publicIdentifiers": ["lead-one"]}),
        ("GET", f"/campaigns/{campaign}/blocked-leads", None),
        ("DELETE", f"/campaigns/{campaign}/blocked-leads", ["lead-two"]),
        ("POST", f"/campaigns/{campaign}/leads", {"leads": [{"publicIdentifier": "lead-x"}]}),
        ("GET", f"/campaigns/{campaign}/leads", None),
        ("POST", f"/campaigns/{campaign}/dispatch", {"limit": 10}),
        ("POST", f"{claim}/confirm", {"leadIds": [held]}),
        ("POST", f"{claim}/release", None),
        (
            "POST",
            "/blocked-leads/check",
            {"publicIdentifiers": ["lead-two"], "campaignId": campaign},
        ),
        ("GET", f"/blocked-leads/check?publicIdentifier=lead-two&campaignId={campaign}", None),
    ]
    for method, path, body in attempts:
        response = intruder.request(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json() == CAMPAIGN_NOT_FOUND, (method, path)
    assert intruder.get("/campaigns").json() == []
    assert intruder.get("/blocked-leads/events").json() == []
    mine = intruder.post("/campaigns", json={"name": "mine"}).json()["id"]
    assert owner.get("/campaigns").json() == [
        {"id": campaign, "name": "private", "createdAt": created["createdAt"]}
    ]
    # The owner's claim, through the intruder's own campaign, holds nothing there.
    foreign_claim = f"/campaigns/{mine}/claims/{leased['claimId']}"
    through = intruder.post(f"{foreign_claim}/confirm", json={"leadIds": [held]}).json()
    assert (through["confirmed"], through["blocked"], through["notHeld"]) == ([], [], [held])
    assert intruder.post(f"{foreign_claim}/release").json()["released"] == 0

    # The owner's campaign is untouched: its lead is still leased, and the owner confirms it.
    leads = owner.get(f"/campaigns/{campaign}/leads").json()
    assert [(lead["publicIdentifier"], lead["status"]) for lead in leads] == [
        ("lead-one", "leased")
    ]
    blocks = owner.get(f"/campaigns/{campaign}/blocked-leads").json()
    assert [block["publicIdentifier"] for block in blocks] == ["lead-two"]
    confirmed = owner.post(f"{claim}/confirm").json()["confirmed"]
    assert [lead["publicIdentifier"] for lead in confirmed] == ["lead-one"]


def test_foreign_key_cannot_reach_another_workspace_company_block(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    owner, intruder = tenant.client, other_tenant.client
    [block] = owner.post(
        "/company-blocks",
        json={"companies": [{"domain": "secret.com", "name": "Secret", "reason": "private"}]},
    ).json()["companies"]
    block_id = block["id"]

    for answer in (
        intruder.get(f"/company-blocks/{block_id}"),
        intruder.patch(f"/company-blocks/{block_id}", json={"reason": "hijack"}),
        intruder.delete(f"/company-blocks/{block_id}"),
    ):
        assert answer.status_code == 404
        assert answer.json() == COMPANY_NOT_FOUND
    unblocked = intruder.request(
        "DELETE", "/company-blocks", json={"ids": [block_id], "domains": ["secret.com"]}
    ).json()
    assert unblocked == {
        "success": True,
        "message": "0 companies unblocked.",
        "unblocked": 0,
        "notFound": [block_id, "secret.com"],
    }
    listed = intruder.get("/company-blocks", params={"search": "secret"})
    assert listed.json() == []
    assert listed.headers["X-Total-Count"] == "0"
    assert (
        intruder.get("/company-blocks/export").text
        == "kind,value,name,reason,expiresAt,createdAt,id\r\n"
    )
    assert intruder.get("/blocked-leads/events").json() == []
    # The owner's company block stops none of the intruder's leads.
    lead = {"publicIdentifier": "some-lead", "email": "jane@secret.com"}
    checked = intruder.post("/blocked-leads/check", json={"publicIdentifiers": [lead]}).json()
    assert checked == check_answer(
        {
            **free("some-lead"),
            "input": lead,
        }
    )

    # Writes by the intruder create the intruder's own records, never touch the owner's.
    mine = intruder.post("/company-blocks", json={"companies": [{"domain": "secret.com"}]}).json()
    [own] = mine["companies"]
    assert own["id"] != block_id
    assert mine == {
        "success": True,
        "message": "1 company blocked.",
        "blocked": 1,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
        "companies": [
            {
                "id": own["id"],
                "kind": "domain",
                "value": "secret.com",
                "name": None,
                "reason": None,
                "createdAt": own["createdAt"],
                "expiresAt": None,
            }
        ],
    }
    imported = intruder.post(
        "/company-blocks/import", content=b"kind,value,reason\ndomain,secret.com,x\n"
    )
    assert imported.json() == {
        "success": True,
        "message": "0 companies blocked from 1 row(s).",
        "rows": 1,
        "blocked": 0,
        "alreadyBlocked": 1,
        "extended": 0,
        "duplicates": 0,
    }
    assert intruder.get("/company-blocks").json() == [own]

    assert owner.get(f"/company-blocks/{block_id}").json() == block
    assert owner.get("/company-blocks").json() == [block]
    owner_events = owner.get("/blocked-leads/events").json()
    assert [(e["type"], e["domain"], e["reason"], e["scope"]) for e in owner_events] == [
        ("blocked", "secret.com", "private", "company")
    ]


def test_foreign_key_cannot_reach_another_workspace_webhook(
    tenant: TenantFixture, other_tenant: TenantFixture, receiver: Receiver
) -> None:
    owner, intruder = tenant.client, other_tenant.client
    path = receiver.new_path()
    created = owner.post("/webhooks", json={"url": receiver.url(path), "description": "crm"})
    webhook = created.json()
    receiver.verify_with(path, webhook["secret"])
    hook = f"/webhooks/{webhook['id']}"
    for method, target, body in [
        ("GET", hook, None),
        ("PATCH", hook, {"enabled": False}),
        ("PATCH", hook, {"url": receiver.url(receiver.new_path())}),
        ("DELETE", hook, None),
        ("POST", f"{hook}/rotate-secret", None),
        ("GET", f"{hook}/deliveries", None),
        ("POST", f"{hook}/test", None),
    ]:
        response = intruder.request(method, target, json=body)
        assert response.status_code == 404, (method, target)
        assert response.json() == WEBHOOK_NOT_FOUND, (method, target)
    assert intruder.get("/webhooks").json() == []
    # The intruder's own endpoint gets the intruder's events only, the owner's the owner's.
    other_path = receiver.new_path()
    mine = intruder.post("/webhooks", json={"url": receiver.url(other_path)}).json()
    receiver.verify_with(other_path, mine["secret"])
    owner.post("/blocked-leads", json={"leads": [{"publicIdentifier": "owners-lead"}]})
    intruder.post("/blocked-leads", json={"leads": [{"publicIdentifier": "intruders-lead"}]})
    [to_owner] = receiver.wait_for(path, 1)
    [to_intruder] = receiver.wait_for(other_path, 1)
    assert to_owner.payload["data"]["publicIdentifier"] == "owners-lead"
    assert to_intruder.payload["data"]["publicIdentifier"] == "intruders-lead"
    assert to_owner.verified
    assert to_intruder.verified
    # Nothing the intruder tried changed the owner's endpoint, nor sent it a test.
    assert owner.get(hook).json() == {k: v for k, v in webhook.items() if k != "secret"}
    logged = eventually(lambda: owner.get(f"{hook}/deliveries").json(), lambda log: bool(log))
    assert [(d["type"], d["status"]) for d in logged] == [("blocked", "succeeded")]
