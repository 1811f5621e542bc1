"""`send_batch`, the lease → confirm → message → release loop, end to end against the real
server, sync and async: it messages exactly the leads confirm lets through, never a lead blocked
after its lease, hands back the leads whose message failed and, when the gate cannot be
reached, every lead it has not messaged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from leadblock_client import APIConnectionError, AsyncClient, CampaignLead, Client
from tests.client.conftest import FAST, Connect
from tests.client.proxy import Fate, running_proxy
from tests.conftest import TenantFixture
from tests.server import Server


def by_status(client: Client, campaign: str) -> dict[str, list[str]]:
    """The campaign's leads, grouped by status, in enrolment order."""
    groups: dict[str, list[str]] = {}
    for lead in client.iter_campaign_leads(campaign):
        groups.setdefault(lead.status, []).append(lead.public_identifier)
    return groups


def names(leads: tuple[CampaignLead, ...]) -> list[str]:
    return [lead.public_identifier for lead in leads]


def prospects(client: Client, count: int) -> str:
    """A campaign with `count` prospects, `prospect-0`…"""
    campaign = client.create_campaign("sender").id
    client.enrol_leads(campaign, [f"prospect-{n}" for n in range(count)])
    return campaign


def test_the_sender_messages_exactly_what_confirm_lets_through(
    client: Client, bystander: Client
) -> None:
    campaign = prospects(client, 6)
    client.block_leads(["prospect-0"])
    messaged: list[str] = []

    def send(lead: CampaignLead) -> None:
        if lead.public_identifier == "prospect-2":
            # Someone opts out while the batch is being messaged: the next confirm sees it.
            bystander.block_leads(["prospect-4"])
        if lead.public_identifier == "prospect-3":
            raise RuntimeError("the message could not be sent")
        messaged.append(lead.public_identifier)

    batch = client.send_batch(campaign, send, size=10)
    assert messaged == ["prospect-1", "prospect-2", "prospect-5"]
    assert names(batch.sent) == messaged
    assert names(batch.blocked) == ["prospect-4"]
    assert names(batch.failed) == ["prospect-3"]
    assert batch.not_held == ()
    assert {lead.status for lead in batch.sent} == {"dispatched"}
    assert by_status(client, campaign) == {
        "pending": ["prospect-0", "prospect-3", "prospect-4"],
        "dispatched": ["prospect-1", "prospect-2", "prospect-5"],
    }
    # The failed one comes back in the next batch; the blocked ones do not.
    messaged.clear()
    again = client.send_batch(campaign, lambda lead: messaged.append(lead.public_identifier))
    assert names(again.sent) == messaged == ["prospect-3"]
    last = client.send_batch(campaign, lambda lead: pytest.fail(f"messaged {lead}"))
    assert last.empty


def test_the_sender_hands_everything_back_when_the_gate_is_unreachable(
    connect: Connect, server: Server, tenant: TenantFixture
) -> None:
    with running_proxy(server.url) as proxy:
        client = connect(proxy.url, tenant.api_key, retry=FAST)
        campaign = prospects(client, 3)
        proxy.refuse("POST", "/confirm")
        with pytest.raises(APIConnectionError):
            client.send_batch(campaign, lambda lead: pytest.fail(f"messaged unconfirmed {lead}"))
        confirms = proxy.where("POST", "/confirm")
        assert [passed.fate for passed in confirms] == [Fate.REFUSE] * FAST.attempts
        assert [passed.status for passed in proxy.where("POST", "/release")] == [200]
        assert by_status(client, campaign) == {
            "pending": ["prospect-0", "prospect-1", "prospect-2"]
        }


def test_when_the_release_fails_too_the_gates_failure_is_raised(
    connect: Connect, server: Server, tenant: TenantFixture
) -> None:
    with running_proxy(server.url) as proxy:
        client = connect(proxy.url, tenant.api_key, retry=FAST)
        campaign = prospects(client, 2)
        proxy.rule = lambda method, path: (
            Fate.REFUSE if path.endswith(("/confirm", "/release")) else Fate.PASS
        )
        with pytest.raises(APIConnectionError, match="/confirm") as raised:
            client.send_batch(campaign, lambda lead: pytest.fail(f"messaged unconfirmed {lead}"))
        [note] = raised.value.__notes__
        assert note.startswith("releasing the unsent leads failed too: ")
        assert "/release" in note
        # Still leased: the lease hands them back when it runs out.
        assert by_status(client, campaign) == {"leased": ["prospect-0", "prospect-1"]}


def test_the_sender_retries_a_lost_answer_without_acting_twice(
    connect: Connect, server: Server, tenant: TenantFixture
) -> None:
    """The answers of the first dispatch and of the first confirm are lost after the server
    acted on them: the retries (same Idempotency-Key) get those answers, so one batch is
    leased, not two, and each lead is messaged once."""
    with running_proxy(server.url) as proxy:
        client = connect(proxy.url, tenant.api_key, retry=FAST)
        campaign = prospects(client, 4)
        lost: list[str] = []

        def rule(method: str, path: str) -> Fate:
            action = path.rsplit("/", 1)[1]
            if method == "POST" and action in ("dispatch", "confirm") and action not in lost:
                lost.append(action)
                return Fate.LOSE
            return Fate.PASS

        proxy.rule = rule
        messaged: list[str] = []
        batch = client.send_batch(
            campaign, lambda lead: messaged.append(lead.public_identifier), size=2
        )
        assert lost == ["dispatch", "confirm"]
        assert [passed.replayed for passed in proxy.where("POST", "/dispatch")] == [False, True]
        assert messaged == ["prospect-0", "prospect-1"]
        assert names(batch.sent) == messaged
        assert by_status(client, campaign) == {
            "dispatched": ["prospect-0", "prospect-1"],
            "pending": ["prospect-2", "prospect-3"],
        }


def test_the_async_sender_awaits_each_message(server: Server, tenant: TenantFixture) -> None:
    async def main() -> tuple[Any, list[str], dict[str, str]]:
        async with AsyncClient(server.url, tenant.api_key) as client:
            campaign = (await client.create_campaign("async sender")).id
            await client.enrol_leads(campaign, ["prospect-0", "prospect-1", "prospect-2"])
            messaged: list[str] = []

            async def send(lead: CampaignLead) -> None:
                await asyncio.sleep(0)
                if lead.public_identifier == "prospect-0":
                    await client.block_leads(["prospect-1"])
                if lead.public_identifier == "prospect-2":
                    raise RuntimeError("the message could not be sent")
                messaged.append(lead.public_identifier)

            batch = await client.send_batch(campaign, send, lease_seconds=60)
            leads = {
                lead.public_identifier: lead.status
                async for lead in client.iter_campaign_leads(campaign)
            }
            return batch, messaged, leads

    batch, messaged, leads = asyncio.run(main())
    assert messaged == ["prospect-0"]
    assert (names(batch.sent), names(batch.blocked), names(batch.failed)) == (
        ["prospect-0"],
        ["prospect-1"],
        ["prospect-2"],
    )
    assert leads == {"prospect-0": "dispatched", "prospect-1": "pending", "prospect-2": "pending"}
