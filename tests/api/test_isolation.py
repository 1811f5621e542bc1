"""A key of one workspace never sees or changes another workspace's data: every route, walked
with a foreign key. A new route fails `test_every_route_is_walked` until it is added here."""

from __future__ import annotations

import httpx

from tests.conftest import Server, TenantFixture

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

    assert intruder.get(f"/blocked-leads/{lead_id}").status_code == 404
    assert intruder.patch(f"/blocked-leads/{lead_id}", json={"reason": "hijack"}).status_code == 404
    assert intruder.delete(f"/blocked-leads/{lead_id}").status_code == 404
    by_id = intruder.request("DELETE", "/blocked-leads", json=[lead_id]).json()
    assert (by_id["unblocked"], by_id["notFound"]) == (0, [lead_id])
    by_identifier = intruder.request(
        "DELETE", "/blocked-leads", json={"publicIdentifiers": ["secret-lead"]}
    ).json()
    assert (by_identifier["unblocked"], by_identifier["notFound"]) == (0, ["secret-lead"])

    listed = intruder.get("/blocked-leads", params={"search": "secret"})
    assert listed.json() == []
    assert listed.headers["X-Total-Count"] == "0"
    assert "secret-lead" not in intruder.get("/blocked-leads/export").text
    assert intruder.get("/blocked-leads/events").json() == []
    post_check = intruder.post("/blocked-leads/check", json={"publicIdentifiers": ["secret-lead"]})
    assert post_check.json()["results"][0]["blocked"] is False
    get_check = intruder.get("/blocked-leads/check", params={"publicIdentifier": "secret-lead"})
    assert get_check.json()["results"][0]["blocked"] is False

    # Writes by the intruder create the intruder's own records, never touch the owner's.
    mine = intruder.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "secret-lead", "reason": "mine"}]}
    ).json()
    assert mine["blocked"] == 1
    assert mine["leads"][0]["id"] != lead_id
    assert mine["leads"][0]["workspaceId"] == other_tenant.workspace_id
    imported = intruder.post(
        "/blocked-leads/import", content=b"publicIdentifier,reason\nsecret-lead,x\n"
    )
    assert imported.json()["alreadyBlocked"] == 1

    assert owner.get(f"/blocked-leads/{lead_id}").json() == lead
    owner_events = owner.get("/blocked-leads/events").json()
    assert [(e["type"], e["reason"]) for e in owner_events] == [("blocked", "private")]
    # A cursor issued to one workspace pages nothing of another's.
    owner.post("/blocked-leads", json={"leads": [{"publicIdentifier": "second-secret"}]})
    cursor = owner.get("/blocked-leads", params={"limit": 1}).headers["X-Next-Cursor"]
    paged = intruder.get("/blocked-leads", params={"cursor": cursor}).json()
    assert all(row["workspaceId"] == other_tenant.workspace_id for row in paged)
