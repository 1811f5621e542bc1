"""Expiring blocks ("not now"): a block with `expiresAt` applies until that instant and not
after it; within a minute it leaves lists, counts and exports with one `expired` event; blocking
again never shortens a block. Time moves by starting servers on the same database with their
clock ahead (`LEADBLOCK_CLOCK_OFFSET_S`) or, in process, by asking for a given instant; never
by sleeping."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadblock.domain.companies import Company
from leadblock.domain.ids import now_ms, set_clock_offset
from leadblock.domain.records import LeadInput, Scope
from leadblock.domain.timestamps import iso
from leadblock.services import blocklist, campaigns
from leadblock.storage import campaigns as campaign_store
from leadblock.storage.db import Database
from tests.conftest import TenantFixture
from tests.server import Server, running_server

HOUR_MS = 3_600_000


def in_hours(hours: float) -> str:
    """An `expiresAt` that many hours from now, to the millisecond."""
    return iso(now_ms() + int(hours * HOUR_MS))


@contextlib.contextmanager
def server_at(database: Database, log: Path, ahead_s: int) -> Iterator[Server]:
    """A server on the same database whose clock is `ahead_s` seconds ahead."""
    with running_server(database.url, log, LEADBLOCK_CLOCK_OFFSET_S=str(ahead_s)) as server:
        yield server


def on(server: Server, tenant: TenantFixture) -> httpx.Client:
    return httpx.Client(base_url=server.api, headers={"x-api-key": tenant.api_key}, timeout=60)


def block(client: httpx.Client, *leads: dict[str, Any]) -> Any:
    answer = client.post("/blocked-leads", json={"leads": list(leads)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def check(client: httpx.Client, identifier: str) -> dict[str, Any]:
    answer = client.get("/blocked-leads/check", params={"publicIdentifier": identifier})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["results"][0])


def expired_events(client: httpx.Client) -> list[dict[str, Any]]:
    return [e for e in client.get("/blocked-leads/events").json() if e["type"] == "expired"]


def wait_for(condition: Any, timeout_s: float = 30) -> None:
    """Poll until `condition()` holds: the sweep runs at start and every 10 s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the sweep did not run in time"
        time.sleep(0.1)


def test_a_block_applies_until_its_instant_and_not_from_it(
    database: Database, tenant: TenantFixture
) -> None:
    """Exactly at the instant, in process: check and dispatch ask for a given `now`."""
    caller = tenant.caller
    at = now_ms() + HOUR_MS
    with database.transaction(write=True) as tx:
        blocklist.insert_leads(tx, caller, [LeadInput("snoozed-lead", "not now", at)])
    campaign = tenant.client.post("/campaigns", json={"name": "c"}).json()["id"]
    tenant.client.post(
        f"/campaigns/{campaign}/leads", json={"leads": [{"publicIdentifier": "snoozed-lead"}]}
    )
    with database.transaction() as tx:
        before = blocklist.active_blocks(tx, caller.workspace, None, ["snoozed-lead"], now=at - 1)
        from_it = blocklist.active_blocks(tx, caller.workspace, None, ["snoozed-lead"], now=at)
    assert before["snoozed-lead"].expires_at == at
    assert from_it == {}
    with database.transaction(write=True) as tx:
        assert campaign_store.claim_pending(tx, caller.workspace, campaign, 10, at - 1) == []
        [lead] = campaign_store.claim_pending(tx, caller.workspace, campaign, 10, at)
    assert lead.public_identifier == "snoozed-lead"


def test_company_and_campaign_blocks_apply_until_their_instant_and_not_from_it(
    database: Database, tenant: TenantFixture
) -> None:
    """The same instant for a company block (its domain, from a lead's e-mail) and for a
    campaign block: at `expiresAt - 1` they stop the lead, at `expiresAt` they do not."""
    caller, client = tenant.caller, tenant.client
    at = now_ms() + HOUR_MS
    client.post(
        "/company-blocks", json={"companies": [{"domain": "acme.com", "expiresAt": iso(at)}]}
    ).raise_for_status()
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    client.post(
        f"/campaigns/{campaign}/blocked-leads",
        json={"publicIdentifiers": ["camp-snoozed"], "expiresAt": iso(at)},
    ).raise_for_status()
    client.post(
        f"/campaigns/{campaign}/leads",
        json={
            "leads": [
                {"publicIdentifier": "at-acme", "email": "ann@sales.acme.com"},
                {"publicIdentifier": "camp-snoozed"},
            ]
        },
    ).raise_for_status()
    acme = {"at-acme": Company(email_domain="sales.acme.com")}
    with database.transaction() as tx:
        before = blocklist.active_blocks(
            tx, caller.workspace, campaign, ["at-acme", "camp-snoozed"], acme, now=at - 1
        )
        from_it = blocklist.active_blocks(
            tx, caller.workspace, campaign, ["at-acme", "camp-snoozed"], acme, now=at
        )
    assert {ident: block.scope for ident, block in before.items()} == {
        "at-acme": Scope.COMPANY,
        "camp-snoozed": Scope.CAMPAIGN,
    }
    assert from_it == {}
    with database.transaction(write=True) as tx:
        assert campaign_store.claim_pending(tx, caller.workspace, campaign, 10, at - 1) == []
        claimed = campaign_store.claim_pending(tx, caller.workspace, campaign, 10, at)
    assert sorted(lead.public_identifier for lead in claimed) == ["at-acme", "camp-snoozed"]


def test_an_expired_block_stops_nothing_and_is_expired_once_by_many_servers(
    database: Database, tenant: TenantFixture, tmp_path: Path
) -> None:
    client = tenant.client
    until = in_hours(1)
    [snoozed, _kept] = block(
        client,
        {"publicIdentifier": "snoozed-lead", "reason": "not now", "expiresAt": until},
        {"publicIdentifier": "kept-lead"},
    )["leads"]
    assert snoozed["expiresAt"] == until
    result = check(client, "snoozed-lead")
    assert (result["blocked"], result["expiresAt"], result["contactable"]) == (True, until, False)
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    client.post(
        f"/campaigns/{campaign}/leads", json={"leads": [{"publicIdentifier": "snoozed-lead"}]}
    )
    with (
        server_at(database, tmp_path / "before.log", 3600 - 60) as before,
        on(before, tenant) as early,
    ):
        assert check(early, "snoozed-lead")["blocked"] is True
        assert early.post(f"/campaigns/{campaign}/dispatch", json={}).json()["leads"] == []
    assert expired_events(client) == []
    # Two servers an hour and a minute ahead: both sweep at start.
    with (
        server_at(database, tmp_path / "one.log", 3600 + 60) as one,
        server_at(database, tmp_path / "two.log", 3600 + 60) as two,
        on(one, tenant) as later,
        on(two, tenant) as also_later,
    ):
        result = check(later, "snoozed-lead")
        assert (result["blocked"], result["scope"], result["contactable"]) == (False, None, True)
        wait_for(lambda: expired_events(later))
        wait_for(lambda: later.get("/blocked-leads").headers["X-Total-Count"] == "1")
        dispatched = later.post(f"/campaigns/{campaign}/dispatch", json={}).json()["leads"]
        assert [lead["publicIdentifier"] for lead in dispatched] == ["snoozed-lead"]
        assert len(expired_events(also_later)) == 1
    [event] = expired_events(client)
    assert {k: event[k] for k in ("keyId", "publicIdentifier", "reason", "expiresAt", "scope")} == {
        "keyId": None,
        "publicIdentifier": "snoozed-lead",
        "reason": "not now",
        "expiresAt": until,
        "scope": "workspace",
    }
    assert [lead["publicIdentifier"] for lead in client.get("/blocked-leads").json()] == [
        "kept-lead"
    ]
    assert client.get("/blocked-leads").headers["X-Total-Count"] == "1"
    assert "snoozed-lead" not in client.get("/blocked-leads/export").text
    assert client.get(f"/blocked-leads/{snoozed['id']}").status_code == 404


def test_blocking_again_never_shortens_a_block(tenant: TenantFixture) -> None:
    client = tenant.client
    day, two_days = in_hours(24), in_hours(48)

    def again(expires_at: str | None) -> tuple[int, int, str | None]:
        answer = block(client, {"publicIdentifier": "jo-doe", "expiresAt": expires_at})
        return answer["alreadyBlocked"], answer["extended"], answer["leads"][0]["expiresAt"]

    first = block(client, {"publicIdentifier": "jo-doe", "reason": "later", "expiresAt": day})
    record = first["leads"][0]
    assert again(two_days) == (1, 1, two_days)  # a longer snooze extends
    assert again(day) == (1, 0, two_days)  # a shorter one changes nothing
    assert again(None) == (1, 1, None)  # a permanent block over a snooze makes it permanent
    assert again(day) == (1, 0, None)
    stored = client.get(f"/blocked-leads/{record['id']}").json()
    assert stored == {**record, "expiresAt": None}  # same record, reason and createdAt
    # An explicit edit sets exactly what it is given, shorter or not; absent fields stay.
    path = f"/blocked-leads/{record['id']}"
    assert client.patch(path, json={"expiresAt": day}).json()["expiresAt"] == day
    assert client.patch(path, json={}).json() == {**record, "expiresAt": day}
    assert client.patch(path, json={"reason": "asked twice"}).json()["expiresAt"] == day
    assert client.patch(path, json={"expiresAt": None}).json()["expiresAt"] is None
    # Every move of the expiry is in the trail (and so reaches webhooks): by blocking again
    # (the key that blocked) and by hand.
    trail = [
        (e["type"], e["expiresAt"], e["keyId"]) for e in client.get("/blocked-leads/events").json()
    ]
    key_id = trail[-1][2]
    assert key_id is not None
    assert trail == [
        ("expiry_changed", None, key_id),
        ("reason_changed", day, key_id),
        ("expiry_changed", day, key_id),
        ("expiry_changed", None, key_id),
        ("expiry_changed", two_days, key_id),
        ("blocked", day, key_id),
    ]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2001-01-01T00:00:00Z", "expiresAt is not in the future"),
        ("2999-01-01T00:00:00Z", "expiresAt is more than 100 years ahead"),
        (
            "2030-01-01",
            "expiresAt must be an RFC 3339 date and time with Z or an offset, e.g. "
            "2027-03-01T00:00:00Z",
        ),
        ("2030-02-30T00:00:00Z", "expiresAt is not a valid date and time"),
    ],
)
def test_invalid_expiries_are_refused_naming_the_field(
    tenant: TenantFixture, value: str, why: str
) -> None:
    client = tenant.client
    answer = client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "jo-doe", "expiresAt": value}]}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"index": 0, "value": "jo-doe", "message": why}]
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    answer = client.post(
        f"/campaigns/{campaign}/blocked-leads",
        json={"publicIdentifiers": ["jo-doe"], "expiresAt": value},
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == f"{why}."
    assert client.get("/blocked-leads").json() == []


def test_campaign_blocks_expire_and_extend_per_request(
    database: Database, tenant: TenantFixture, tmp_path: Path
) -> None:
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    path = f"/campaigns/{campaign}/blocked-leads"
    hour = in_hours(1)
    first = client.post(path, json={"publicIdentifiers": ["ann-lee", "bob-ray"], "expiresAt": hour})
    assert (first.json()["blocked"], first.json()["extended"]) == (2, 0)
    longer = in_hours(30)
    again = client.post(
        path, json={"publicIdentifiers": ["bob-ray", "ann-lee"], "expiresAt": longer}
    )
    assert (again.json()["alreadyBlocked"], again.json()["extended"]) == (2, 2)
    shorter = client.post(path, json={"publicIdentifiers": ["bob-ray"], "expiresAt": in_hours(2)})
    assert (shorter.json()["alreadyBlocked"], shorter.json()["extended"]) == (1, 0)
    permanent = client.post(path, json={"publicIdentifiers": ["ann-lee"], "reason": "x"})
    assert (permanent.json()["alreadyBlocked"], permanent.json()["extended"]) == (1, 1)
    moved = [
        (e["publicIdentifier"], e["expiresAt"], e["scope"], e["campaignId"], e["reason"])
        for e in client.get("/blocked-leads/events").json()
        if e["type"] == "expiry_changed"
    ]
    assert moved == [
        ("ann-lee", None, "campaign", campaign, None),
        ("ann-lee", longer, "campaign", campaign, None),
        ("bob-ray", longer, "campaign", campaign, None),
    ]
    # Put ann-lee's block back to an hour, so it expires below (an unblock and a new block).
    client.request("DELETE", path, json={"publicIdentifiers": ["ann-lee"]})
    client.post(path, json={"publicIdentifiers": ["ann-lee"], "expiresAt": hour})
    listed = {b["publicIdentifier"]: b["expiresAt"] for b in client.get(path).json()}
    assert listed["ann-lee"] == hour
    client.post(
        f"/campaigns/{campaign}/leads",
        json={"leads": [{"publicIdentifier": "ann-lee"}, {"publicIdentifier": "bob-ray"}]},
    )
    with server_at(database, tmp_path / "later.log", 3600 + 60) as later, on(later, tenant) as c:
        wait_for(lambda: [b["publicIdentifier"] for b in c.get(path).json()] == ["bob-ray"])
        sent = c.post(f"/campaigns/{campaign}/dispatch", json={}).json()["leads"]
        assert [lead["publicIdentifier"] for lead in sent] == ["ann-lee"]
        [event] = expired_events(c)
        assert (event["scope"], event["campaignId"], event["publicIdentifier"]) == (
            "campaign",
            campaign,
            "ann-lee",
        )


def test_company_blocks_expire_too(
    database: Database, tenant: TenantFixture, tmp_path: Path
) -> None:
    client = tenant.client
    answer = client.post(
        "/company-blocks",
        json={"companies": [{"domain": "acme.com", "expiresAt": in_hours(1)}, {"domain": "b.com"}]},
    )
    assert answer.status_code == 200
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    client.post(
        f"/campaigns/{campaign}/leads",
        json={"leads": [{"publicIdentifier": "ann-lee", "email": "ann@acme.com"}]},
    )
    assert client.post(f"/campaigns/{campaign}/dispatch", json={}).json()["leads"] == []
    # Two servers an hour and a minute ahead: both sweep at start, one event is written.
    with (
        server_at(database, tmp_path / "one.log", 3600 + 60) as one,
        server_at(database, tmp_path / "two.log", 3600 + 60) as two,
        on(one, tenant) as c,
        on(two, tenant) as also,
    ):
        check_item = {"publicIdentifier": "ann-lee", "email": "ann@acme.com"}
        result = c.post("/blocked-leads/check", json={"publicIdentifiers": [check_item]}).json()
        assert result["results"][0]["contactable"] is True
        wait_for(lambda: [b["value"] for b in c.get("/company-blocks").json()] == ["b.com"])
        assert c.get("/company-blocks").headers["X-Total-Count"] == "1"
        assert "acme.com" not in c.get("/company-blocks/export").text
        [event] = expired_events(c)
        assert (event["scope"], event["domain"], event["keyId"]) == ("company", "acme.com", None)
        assert len(expired_events(also)) == 1
        sent = c.post(f"/campaigns/{campaign}/dispatch", json={}).json()["leads"]
        assert [lead["publicIdentifier"] for lead in sent] == ["ann-lee"]


def test_company_blocks_are_never_shortened_and_each_move_is_recorded(
    tenant: TenantFixture,
) -> None:
    client = tenant.client
    hour, day = in_hours(1), in_hours(24)

    def again(expires_at: str | None) -> tuple[int, int, str | None]:
        answer = client.post(
            "/company-blocks", json={"companies": [{"domain": "acme.com", "expiresAt": expires_at}]}
        ).json()
        return answer["alreadyBlocked"], answer["extended"], answer["companies"][0]["expiresAt"]

    first = client.post(
        "/company-blocks",
        json={"companies": [{"domain": "acme.com", "reason": "client", "expiresAt": hour}]},
    ).json()["companies"][0]
    assert again(day) == (1, 1, day)
    assert again(hour) == (1, 0, day)
    assert again(None) == (1, 1, None)
    assert again(day) == (1, 0, None)
    path = f"/company-blocks/{first['id']}"
    assert client.get(path).json() == {**first, "expiresAt": None}
    assert client.patch(path, json={"expiresAt": hour}).json()["expiresAt"] == hour
    assert client.patch(path, json={"expiresAt": None}).json()["expiresAt"] is None
    trail = [
        (e["type"], e["domain"], e["reason"], e["expiresAt"], e["scope"])
        for e in client.get("/blocked-leads/events").json()
    ]
    assert trail == [
        ("expiry_changed", "acme.com", "client", None, "company"),
        ("expiry_changed", "acme.com", "client", hour, "company"),
        ("expiry_changed", "acme.com", "client", None, "company"),
        ("expiry_changed", "acme.com", "client", day, "company"),
        ("blocked", "acme.com", "client", hour, "company"),
    ]


def test_export_and_import_round_trip_expiries(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    until = in_hours(72)
    block(
        tenant.client,
        {"publicIdentifier": "ann-lee", "expiresAt": until},
        {"publicIdentifier": "bob-ray", "reason": "client"},
    )
    exported = tenant.client.get("/blocked-leads/export").text
    assert exported.splitlines()[0] == "publicIdentifier,reason,createdAt,id,expiresAt"
    block(other_tenant.client, {"publicIdentifier": "ann-lee", "expiresAt": in_hours(1)})
    imported = other_tenant.client.post(
        "/blocked-leads/import", content=exported, headers={"content-type": "text/csv"}
    ).json()
    assert (imported["blocked"], imported["alreadyBlocked"], imported["extended"]) == (1, 1, 1)
    trail = [
        (e["type"], e["publicIdentifier"], e["expiresAt"])
        for e in other_tenant.client.get("/blocked-leads/events").json()
    ]
    assert sorted(trail[:2]) == [("blocked", "bob-ray", None), ("expiry_changed", "ann-lee", until)]
    again = other_tenant.client.post(
        "/blocked-leads/import", content=exported, headers={"content-type": "text/csv"}
    ).json()
    assert (again["blocked"], again["alreadyBlocked"], again["extended"]) == (0, 2, 0)
    assert len(other_tenant.client.get("/blocked-leads/events").json()) == len(trail)
    mine = {
        lead["publicIdentifier"]: lead["expiresAt"]
        for lead in other_tenant.client.get("/blocked-leads").json()
    }
    assert mine == {"ann-lee": until, "bob-ray": None}
    bad = other_tenant.client.post(
        "/blocked-leads/import",
        content="publicIdentifier,expiresAt\nnew-one,2001-01-01T00:00:00Z\n",
        headers={"content-type": "text/csv"},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["message"] == "line 2: expiresAt is not in the future"


def test_removing_a_campaign_block_that_has_expired_records_its_expiry(
    database: Database, tenant: TenantFixture
) -> None:
    """Unblocking or deleting the campaign before the sweep reaches an expired block: it is
    recorded as expired (no key), and unblocking it finds nothing to unblock."""
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "c"}).json()["id"]
    path = f"/campaigns/{campaign}/blocked-leads"
    client.post(path, json={"publicIdentifiers": ["ann-lee", "bob-ray"], "expiresAt": in_hours(1)})
    client.post(path, json={"publicIdentifiers": ["cy-lee"]})
    set_clock_offset(HOUR_MS + 60_000)  # this process only; the servers' sweep runs on time
    try:
        with database.transaction(write=True) as tx:
            outcome = campaigns.unblock_in_campaign(
                tx, tenant.caller, campaign, ["ann-lee", "cy-lee"]
            )
            assert (outcome.unblocked, outcome.not_found) == (1, ["ann-lee"])
            campaigns.delete_campaign(tx, tenant.caller, campaign)
    finally:
        set_clock_offset(0)
    trail = sorted(
        (e["type"], e["publicIdentifier"], e["keyId"], e["scope"])
        for e in client.get("/blocked-leads/events").json()
        if e["type"] != "blocked"
    )
    assert trail == [
        ("expired", "ann-lee", None, "campaign"),
        ("expired", "bob-ray", None, "campaign"),
        ("unblocked", "cy-lee", None, "campaign"),
    ]
