"""`?dryRun=true`: the same validation and the same answer as the real call that follows, with
nothing written and no event; read-only keys may ask."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TenantFixture


def counts(client: httpx.Client, campaign: str | None = None) -> dict[str, str]:
    """Counts of everything a write could change."""
    urls = {"blocks": "/blocked-leads?limit=1", "events": "/blocked-leads/events?limit=1"}
    if campaign:
        urls["campaign blocks"] = f"/campaigns/{campaign}/blocked-leads?take=1"
    return {name: client.get(url).headers["X-Total-Count"] for name, url in urls.items()}


def without_new_records(real: dict[str, Any], dry: dict[str, Any]) -> dict[str, Any]:
    """The real answer as the dry run gives it: records it created have no id yet (and the
    dry run's own instant), and `dryRun: true`."""
    answer = {**real, "dryRun": True}
    if "leads" in real:
        answer["leads"] = [
            {**lead, "id": None, "createdAt": seen["createdAt"]} if seen["id"] is None else lead
            for lead, seen in zip(real["leads"], dry["leads"], strict=True)
        ]
    return answer


def test_a_dry_block_answers_as_the_real_one_and_writes_nothing(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client
    client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "already-here"}]})
    before = counts(client)
    body = {
        "leads": [
            {"publicIdentifier": "https://www.linkedin.com/in/New-One", "reason": " asked "},
            {"publicIdentifier": "already-here"},
            {"publicIdentifier": "new-one"},
        ]
    }
    for asker in (client, read_only_client):
        dry = asker.post("/blocked-leads", params={"dryRun": "true"}, json=body)
        assert dry.status_code == 200, dry.text
        assert counts(client) == before
    dry_answer = dry.json()
    assert dry_answer["dryRun"] is True
    assert [lead["id"] is None for lead in dry_answer["leads"]] == [True, False]

    real = client.post("/blocked-leads", json=body)
    assert real.status_code == 200
    assert "dryRun" not in real.json()
    assert without_new_records(real.json(), dry_answer) == dry_answer
    assert counts(client) != before

    # Invalid input is refused the same way, dry or not.
    bad = {"leads": [{"publicIdentifier": "fine-one"}, {"publicIdentifier": "@handle"}]}
    dry_refusal = client.post("/blocked-leads", params={"dryRun": "true"}, json=bad)
    assert dry_refusal.status_code == 400
    assert dry_refusal.json() == client.post("/blocked-leads", json=bad).json()


def test_a_dry_unblock_answers_as_the_real_one_and_writes_nothing(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client
    [lead] = client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "to-unblock"}]}
    ).json()["leads"]
    before = counts(client)
    body = {"ids": [lead["id"], "0" * 32], "publicIdentifiers": ["nobody-here"]}
    dry = read_only_client.request("DELETE", "/blocked-leads?dryRun=true", json=body)
    assert dry.status_code == 200, dry.text
    assert counts(client) == before
    real = client.request("DELETE", "/blocked-leads", json=body)
    assert {**real.json(), "dryRun": True} == dry.json()
    assert real.json()["unblocked"] == 1


def test_a_dry_campaign_block_answers_as_the_real_one_and_writes_nothing(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "dry"}).json()["id"]
    client.post(f"/campaigns/{campaign}/blocked-leads", json={"publicIdentifiers": ["old"]})
    before = counts(client, campaign)
    body = {"publicIdentifiers": ["old", "new", "NEW"], "reason": "not now"}
    path = f"/campaigns/{campaign}/blocked-leads"
    dry = read_only_client.post(path, params={"dryRun": "true"}, json=body)
    assert dry.status_code == 200, dry.text
    assert counts(client, campaign) == before
    real = client.post(path, json=body)
    assert {**real.json(), "dryRun": True} == dry.json()
    assert (real.json()["blocked"], real.json()["alreadyBlocked"]) == (1, 1)


def test_a_dry_import_answers_as_the_real_one_and_writes_nothing(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client
    client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "known-lead"}]})
    before = counts(client)
    csv = b"publicIdentifier,reason\nknown-lead,x\nfresh-lead,y\nFRESH-LEAD,z\nother-lead,\n"
    headers = {"content-type": "text/csv"}
    dry = read_only_client.post(
        "/blocked-leads/import", params={"dryRun": "true"}, content=csv, headers=headers
    )
    assert dry.status_code == 200, dry.text
    assert counts(client) == before
    real = client.post("/blocked-leads/import", content=csv, headers=headers)
    assert {**real.json(), "dryRun": True} == dry.json()
    assert (real.json()["blocked"], real.json()["alreadyBlocked"]) == (2, 1)
    # A bad file is refused the same way, dry or not.
    bad = b"publicIdentifier\n@nope\n"
    dry_refusal = client.post(
        "/blocked-leads/import", params={"dryRun": "true"}, content=bad, headers=headers
    )
    assert dry_refusal.status_code == 400
    real_refusal = client.post("/blocked-leads/import", content=bad, headers=headers)
    assert dry_refusal.json() == real_refusal.json()


def test_writes_without_a_dry_run_stay_refused_to_read_only_keys(
    read_only_client: httpx.Client,
) -> None:
    body = {"leads": [{"publicIdentifier": "someone"}]}
    assert read_only_client.post("/blocked-leads", json=body).status_code == 403
    refused = read_only_client.post("/blocked-leads", params={"dryRun": "false"}, json=body)
    assert refused.status_code == 403


def test_dry_company_writes_answer_as_the_real_ones_and_write_nothing(
    tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = tenant.client

    def company_counts() -> dict[str, str]:
        return {**counts(client), "companies": totals(client, "/company-blocks?limit=1")}

    before = company_counts()
    csv = b"kind,value,name,reason,expiresAt\ndomain,acme.com,Acme,client,\ndomain,ACME.com,,,\n"
    headers = {"content-type": "text/csv"}
    dry_import = read_only_client.post(
        "/company-blocks/import", params={"dryRun": "true"}, content=csv, headers=headers
    )
    assert dry_import.status_code == 200, dry_import.text
    body = {"companies": [{"domain": "globex.com"}]}
    dry_block = read_only_client.post("/company-blocks", params={"dryRun": "true"}, json=body)
    assert dry_block.status_code == 200, dry_block.text
    assert company_counts() == before

    real_import = client.post("/company-blocks/import", content=csv, headers=headers)
    assert {**real_import.json(), "dryRun": True} == dry_import.json()
    assert (real_import.json()["blocked"], real_import.json()["duplicates"]) == (1, 1)
    real_block = client.post("/company-blocks", json=body).json()
    [seen] = dry_block.json()["companies"]
    assert seen["id"] is None
    [made] = real_block["companies"]
    assert {
        **real_block,
        "dryRun": True,
        "companies": [{**made, "id": None, "createdAt": seen["createdAt"]}],
    } == dry_block.json()

    during = company_counts()
    unblock = {"domains": ["acme.com", "nowhere.example"]}
    dry_unblock = client.request(
        "DELETE", "/company-blocks", params={"dryRun": "true"}, json=unblock
    )
    assert dry_unblock.status_code == 200, dry_unblock.text
    assert company_counts() == during
    real_unblock = client.request("DELETE", "/company-blocks", json=unblock)
    assert {**real_unblock.json(), "dryRun": True} == dry_unblock.json()


def totals(client: httpx.Client, url: str) -> str:
    return client.get(url).headers["X-Total-Count"]
