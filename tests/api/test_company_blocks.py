"""Company blocks: a LinkedIn company or a domain blocked for the whole workspace stops every
lead whose company keys match it, at check, dispatch and confirm, on every route."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from tests.conftest import TenantFixture
from tests.shapes import RECORD_ID, TIMESTAMP, error, item, shaped


def block_companies(client: httpx.Client, *companies: dict[str, Any], **query: Any) -> Any:
    answer = client.post("/company-blocks", json={"companies": list(companies)}, params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def company(record: dict[str, Any], kind: str, value: str, **fields: Any) -> dict[str, Any]:
    """The record `record` must be: its kind, value and fields, with an id and a createdAt of
    the right shape."""
    return {
        "id": shaped(record["id"], RECORD_ID),
        "kind": kind,
        "value": value,
        "name": fields.get("name"),
        "reason": fields.get("reason"),
        "createdAt": shaped(record["createdAt"], TIMESTAMP),
        "expiresAt": fields.get("expiresAt"),
    }


def campaign_with(client: httpx.Client, *leads: dict[str, Any]) -> str:
    campaign = client.post("/campaigns", json={"name": "companies"}).json()["id"]
    answer = client.post(f"/campaigns/{campaign}/leads", json={"leads": list(leads)})
    assert answer.status_code == 200, answer.text
    return str(campaign)


def dispatch(client: httpx.Client, campaign: str, limit: int = 100) -> list[str]:
    answer = client.post(f"/campaigns/{campaign}/dispatch", json={"limit": limit})
    assert answer.status_code == 200, answer.text
    return [lead["publicIdentifier"] for lead in answer.json()["leads"]]


def test_block_companies_in_every_shape_canonically_and_idempotently(
    tenant: TenantFixture,
) -> None:
    client = tenant.client
    answer = block_companies(
        client,
        {"linkedinCompany": "https://www.linkedin.com/company/Acme-Corp/about/", "name": " Acme "},
        {"domain": "jane@Acme.COM", "reason": "client", "expiresAt": "2099-03-01T00:00:00Z"},
        {"domain": "https://www.bücher.de/shop"},
        {"linkedinCompany": "acme-corp"},  # the first one again
    )
    first, second, third = answer["companies"]
    assert answer == {
        "success": True,
        "message": "3 companies blocked.",
        "blocked": 3,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 1,
        "companies": [
            company(first, "linkedinCompany", "acme-corp", name="Acme"),
            company(
                second, "domain", "acme.com", reason="client", expiresAt="2099-03-01T00:00:00.000Z"
            ),
            company(third, "domain", "xn--bcher-kva.de"),
        ],
    }
    # Blocking again keeps the record, reason and all; a permanent block over a snooze makes
    # it permanent.
    again = block_companies(client, {"domain": "ACME.com.", "reason": "other"})
    assert (again["blocked"], again["alreadyBlocked"], again["extended"]) == (0, 1, 1)
    second = {**second, "expiresAt": None}
    assert again["companies"] == [second]
    assert client.get(f"/company-blocks/{second['id']}").json() == second
    listed = client.get("/company-blocks")
    assert listed.json() == [third, second, first]
    assert listed.headers["X-Total-Count"] == "3"
    assert client.get("/company-blocks", params={"search": "CLIENT"}).json() == [second]
    assert client.get("/company-blocks", params={"search": "bcher"}).json() == [third]


def test_invalid_companies_are_all_listed_and_nothing_is_written(tenant: TenantFixture) -> None:
    client = tenant.client
    answer = client.post(
        "/company-blocks",
        json={
            "companies": [
                {"domain": "acme.com"},
                {"domain": "localhost"},
                {"linkedinCompany": "https://www.linkedin.com/school/mit/"},
                {},
                {"domain": "acme.org", "linkedinCompany": "acme"},
                {"domain": "192.168.0.1"},
                {"domain": "acme.net", "expiresAt": "2001-01-01T00:00:00Z"},
            ]
        },
    )
    assert answer.status_code == 400
    assert answer.json() == error(
        "invalid_input",
        "6 invalid companies; nothing was written.",
        item(
            1, "localhost", "domain needs a dot: a single label (such as 'localhost') is no domain"
        ),
        item(
            2,
            "https://www.linkedin.com/school/mit/",
            "linkedinCompany a school page is not a company page (block the school's domain "
            "instead)",
        ),
        item(3, None, "give exactly one of linkedinCompany and domain"),
        item(4, "acme", "give exactly one of linkedinCompany and domain"),
        item(5, "192.168.0.1", "domain is an IP address, not a domain"),
        item(6, "acme.net", "expiresAt is not in the future"),
    )
    assert client.get("/company-blocks").json() == []
    # A key that names what an entry is may be left out, never null.
    null = client.post("/company-blocks", json={"companies": [{"domain": None}]})
    assert null.status_code == 400


def test_a_company_block_stops_every_matching_lead_at_the_gate(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = campaign_with(
        client,
        {"publicIdentifier": "by-slug", "companyLinkedIn": "linkedin.com/company/acme-corp"},
        {"publicIdentifier": "by-domain", "companyDomain": "eu.acme.com"},
        {"publicIdentifier": "by-email", "email": "jo@mail.acme.com"},
        {"publicIdentifier": "other-co", "companyDomain": "notacme.com", "email": "x@acme.co"},
        {"publicIdentifier": "named-only", "companyName": "Acme"},
    )
    blocked = block_companies(
        client,
        {"linkedinCompany": "acme-corp", "reason": "client"},
        {"domain": "acme.com", "reason": "client domain"},
    )
    slug_block, domain_block = blocked["companies"]
    leads = {
        lead["publicIdentifier"]: lead for lead in client.get(f"/campaigns/{campaign}/leads").json()
    }
    assert leads["by-slug"]["companyLinkedIn"] == "acme-corp"
    assert leads["by-domain"]["companyDomain"] == "eu.acme.com"
    state = {ident: lead["blocked"] for ident, lead in leads.items()}
    assert state == {
        "by-slug": {
            "scope": "company",
            "reason": "client",
            "expiresAt": None,
            "companyBlockId": slug_block["id"],
        },
        "by-domain": {
            "scope": "company",
            "reason": "client domain",
            "expiresAt": None,
            "companyBlockId": domain_block["id"],
        },
        "by-email": {
            "scope": "company",
            "reason": "client domain",
            "expiresAt": None,
            "companyBlockId": domain_block["id"],
        },
        "other-co": None,
        "named-only": None,  # a company name alone never matches
    }
    assert dispatch(client, campaign) == ["other-co", "named-only"]
    # Unblocking the domain frees the leads only it stopped.
    answer = client.request(
        "DELETE", "/company-blocks", json={"domains": ["www.ACME.com"], "ids": ["nope"]}
    )
    assert answer.json() == {
        "success": True,
        "message": "1 company unblocked.",
        "unblocked": 1,
        "notFound": ["nope"],
    }
    assert sorted(dispatch(client, campaign)) == ["by-domain", "by-email"]
    assert client.delete(f"/company-blocks/{slug_block['id']}").status_code == 200
    assert dispatch(client, campaign) == ["by-slug"]
    assert client.delete(f"/company-blocks/{slug_block['id']}").status_code == 404


def test_confirm_sends_a_lead_of_a_blocked_company_back(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = campaign_with(
        client,
        {"publicIdentifier": "ann-lee", "email": "ann@acme.com"},
        {"publicIdentifier": "bob-ray", "email": "bob@other.org"},
    )
    leased = client.post(f"/campaigns/{campaign}/dispatch", json={"leaseSeconds": 60}).json()
    block_companies(client, {"domain": "acme.com", "reason": "client"})
    confirmed = client.post(
        f"/campaigns/{campaign}/claims/{leased['claimId']}/confirm", json={}
    ).json()
    assert [lead["publicIdentifier"] for lead in confirmed["confirmed"]] == ["bob-ray"]
    [stopped] = confirmed["blocked"]
    assert stopped["lead"]["publicIdentifier"] == "ann-lee"
    assert stopped["lead"]["status"] == "pending"
    assert (stopped["scope"], stopped["reason"]) == ("company", "client")
    assert shaped(stopped["companyBlockId"], RECORD_ID)


def test_check_takes_objects_with_precedence_workspace_company_campaign(
    tenant: TenantFixture,
) -> None:
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "both-ws", "reason": "ws"}]})
    client.post(
        f"/campaigns/{campaign}/blocked-leads",
        json={"publicIdentifiers": ["both-ws", "camp-co", "camp-only"], "reason": "camp"},
    )
    [block] = block_companies(client, {"domain": "acme.com", "reason": "co"})["companies"]
    answer = client.post(
        "/blocked-leads/check",
        json={
            "campaignId": campaign,
            "publicIdentifiers": [
                {"publicIdentifier": "both-ws", "email": "a@acme.com"},
                {"publicIdentifier": "camp-co", "companyDomain": "sales.acme.com"},
                "camp-only",
                {"publicIdentifier": "free-one", "companyDomain": "elsewhere.com"},
                {"publicIdentifier": "bad-co", "companyDomain": "localhost"},
                "camp-co",  # as a string: no company known, so the campaign block
            ],
        },
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    summary = [(r["publicIdentifier"], r["scope"], r["reason"], r["contactable"]) for r in results]
    assert summary == [
        ("both-ws", "workspace", "ws", False),
        ("camp-co", "company", "co", False),
        ("camp-only", "campaign", "camp", False),
        ("free-one", None, None, True),
        (None, None, None, False),
        ("camp-co", "campaign", "camp", False),
    ]
    assert results[1]["companyBlockId"] == block["id"]
    # The input as sent: the keys it had, and only those.
    assert results[1]["input"] == {"publicIdentifier": "camp-co", "companyDomain": "sales.acme.com"}
    assert results[4]["blocked"] is None
    assert results[4]["error"] == (
        "companyDomain needs a dot: a single label (such as 'localhost') is no domain"
    )
    assert "companyBlockId" not in results[0]


def test_enrolling_an_invalid_company_is_refused_all_or_nothing(tenant: TenantFixture) -> None:
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    answer = client.post(
        f"/campaigns/{campaign}/leads",
        json={
            "leads": [
                {"publicIdentifier": "good-one", "companyDomain": "acme.com"},
                {"publicIdentifier": "bad-one", "companyDomain": "not a domain"},
                {"publicIdentifier": "bad-two", "companyLinkedIn": "linkedin.com/in/someone"},
            ]
        },
    )
    assert answer.status_code == 400
    assert answer.json() == error(
        "invalid_input",
        "2 invalid leads; nothing was written.",
        item(1, "bad-one", "companyDomain contains white space"),
        item(2, "bad-two", "companyLinkedIn a person's profile is not a company page"),
    )
    assert client.get(f"/campaigns/{campaign}/leads").json() == []


def test_edit_company_blocks_and_their_audit_trail(tenant: TenantFixture) -> None:
    client = tenant.client
    [block] = block_companies(client, {"linkedinCompany": "globex", "reason": "partner"})[
        "companies"
    ]
    path = f"/company-blocks/{block['id']}"
    renamed = client.patch(path, json={"name": "Globex Corp."}).json()
    assert (renamed["name"], renamed["reason"], renamed["expiresAt"]) == (
        "Globex Corp.",
        "partner",
        None,
    )
    snoozed = client.patch(path, json={"reason": None, "expiresAt": "2099-01-01T01:00:00+01:00"})
    assert snoozed.json() == {**renamed, "reason": None, "expiresAt": "2099-01-01T00:00:00.000Z"}
    assert client.patch(path, json={"expiresAt": "yesterday"}).status_code == 400
    assert client.delete(path).status_code == 200
    events = client.get("/blocked-leads/events").json()
    trail = [(e["type"], e["scope"], e["linkedinCompany"], e["publicIdentifier"]) for e in events]
    # One PATCH's two changes share an instant, in no particular order; a new name is no event.
    assert [trail[0], *sorted(trail[1:3]), *trail[3:]] == [
        ("unblocked", "company", "globex", None),
        ("expiry_changed", "company", "globex", None),
        ("reason_changed", "company", "globex", None),
        ("blocked", "company", "globex", None),
    ]
    assert {e["expiresAt"] for e in events[1:3]} == {"2099-01-01T00:00:00.000Z"}


def test_company_blocks_belong_to_one_workspace(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    [block] = block_companies(tenant.client, {"domain": "acme.com"})["companies"]
    other = other_tenant.client
    path = f"/company-blocks/{block['id']}"
    assert other.get(path).status_code == 404
    assert other.patch(path, json={"reason": "x"}).status_code == 404
    assert other.delete(path).status_code == 404
    gone = other.request("DELETE", "/company-blocks", json={"ids": [block["id"]]}).json()
    assert gone["notFound"] == [block["id"]]
    assert other.get("/company-blocks").json() == []
    campaign = campaign_with(other, {"publicIdentifier": "x-lead", "email": "x@acme.com"})
    assert dispatch(other, campaign) == ["x-lead"]
    assert tenant.client.get(path).json() == block


def test_read_only_keys_list_but_never_change_company_blocks(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    [block] = block_companies(tenant.client, {"domain": "acme.com"})["companies"]
    assert read_only_client.get("/company-blocks").json() == [block]
    for method, path, body in (
        ("POST", "/company-blocks", {"companies": [{"domain": "b.com"}]}),
        ("PATCH", f"/company-blocks/{block['id']}", {"reason": "x"}),
        ("DELETE", f"/company-blocks/{block['id']}", None),
        ("DELETE", "/company-blocks", {"ids": [block["id"]]}),
    ):
        assert read_only_client.request(method, path, json=body).status_code == 403, path
    dry = read_only_client.post(
        "/company-blocks", json={"companies": [{"domain": "b.com"}]}, params={"dryRun": "true"}
    ).json()
    assert (dry["dryRun"], dry["blocked"], dry["companies"][0]["id"]) == (True, 1, None)
    assert tenant.client.get("/company-blocks").json() == [block]


def test_export_and_import_round_trip_company_blocks(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    block_companies(
        tenant.client,
        {"domain": "acme.com", "name": "=Acme", "reason": "client\nsince 2020"},
        {"linkedinCompany": "booking.com", "expiresAt": "2099-05-01T00:00:00Z"},
    )
    exported = tenant.client.get("/company-blocks/export")
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    lines = exported.text.splitlines()
    assert lines[0] == "kind,value,name,reason,expiresAt,createdAt,id"
    imported = other_tenant.client.post(
        "/company-blocks/import", content=exported.content, headers={"content-type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "success": True,
        "message": "2 companies blocked from 2 row(s).",
        "rows": 2,
        "blocked": 2,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
    }

    def essence(client: httpx.Client) -> list[tuple[Any, ...]]:
        return sorted(
            (b["kind"], b["value"], b["name"], b["reason"], b["expiresAt"])
            for b in client.get("/company-blocks").json()
        )

    assert essence(other_tenant.client) == essence(tenant.client)
    assert ("domain", "acme.com", "=Acme", "client\nsince 2020", None) in essence(tenant.client)
    bad = other_tenant.client.post(
        "/company-blocks/import",
        content="kind,value\nDomain,acme.com\nperson,x\ndomain,localhost\nLINKEDINCOMPANY,acme\n",
        headers={"content-type": "text/csv"},
    )
    assert bad.status_code == 400
    # Every bad row, in file order, whatever is wrong with it; a kind in any case is a kind.
    assert bad.json() == error(
        "invalid_input",
        "2 invalid rows; nothing was written.",
        item(1, "person", "line 3: kind must be linkedinCompany or domain"),
        item(
            2,
            "localhost",
            "line 4: domain needs a dot: a single label (such as 'localhost') is no domain",
        ),
    )
    bad = other_tenant.client.post(
        "/company-blocks/import",
        content="kind,value\ndomain,new.com\ndomain,localhost\n",
        headers={"content-type": "text/csv"},
    )
    assert bad.json() == error(
        "invalid_input",
        "1 invalid row; nothing was written.",
        item(
            1,
            "localhost",
            "line 3: domain needs a dot: a single label (such as 'localhost') is no domain",
        ),
    )


@pytest.mark.slow
def test_no_dispatch_after_a_company_blocks_acknowledgement_returns_its_leads(
    tenant: TenantFixture,
) -> None:
    """As for person blocks: concurrent dispatchers, a company block acknowledged midway; no
    dispatch sent after the acknowledgement returns a lead of that company."""
    client = tenant.client
    leads = [
        {"publicIdentifier": f"lead-{i:04d}", "email": f"p{i}@{'acme' if i % 2 else 'other'}.com"}
        for i in range(2000)
    ]
    campaign = client.post("/campaigns", json={"name": "race"}).json()["id"]
    assert client.post(f"/campaigns/{campaign}/leads", json={"leads": leads}).status_code == 200
    of_acme = {lead["publicIdentifier"] for lead in leads if "@acme" in lead["email"]}
    dispatched: list[tuple[float, list[str]]] = []
    lock = threading.Lock()
    started = threading.Barrier(7)

    def dispatcher() -> None:
        with httpx.Client(
            base_url=str(client.base_url), headers=dict(client.headers), timeout=60
        ) as own:
            started.wait()
            while True:
                sent = time.monotonic()
                got = dispatch(own, campaign, limit=3)
                with lock:
                    dispatched.append((sent, got))
                if not got:
                    return

    threads = [threading.Thread(target=dispatcher) for _ in range(6)]
    for thread in threads:
        thread.start()
    started.wait()
    while sum(len(got) for _, got in dispatched) < 200:
        time.sleep(0.01)
    block_companies(client, {"domain": "acme.com"})
    acknowledged = time.monotonic()
    for thread in threads:
        thread.join()
    every = [lead for _, got in dispatched for lead in got]
    assert len(every) == len(set(every)), "a lead was dispatched twice"
    after = [lead for sent, got in dispatched if sent > acknowledged for lead in got]
    assert after, "no dispatch ran after the block; the test proved nothing"
    assert not of_acme & set(after)
    assert set(every) >= {lead["publicIdentifier"] for lead in leads} - of_acme
    # The block arrived while leads of the company still waited, and stopped them.
    assert of_acme - set(every), "every lead of the company went out first: nothing was proved"


def test_company_blocks_page_by_cursor_newest_first(tenant: TenantFixture) -> None:
    client = tenant.client
    domains = [f"paged-{n}.example" for n in range(5)]
    for domain in domains:  # one request each: each a later createdAt
        client.post("/company-blocks", json={"companies": [{"domain": domain}]}).raise_for_status()
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = client.get("/company-blocks", params=params)
        assert page.status_code == 200, page.text
        assert page.headers["X-Total-Count"] == "5"
        seen += [block["value"] for block in page.json()]
        if "X-Next-Cursor" not in page.headers:
            break
        params = {"limit": 2, "cursor": page.headers["X-Next-Cursor"]}
    assert seen == domains[::-1]
