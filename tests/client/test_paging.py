"""The `iter_*` methods follow `X-Next-Cursor` through every page, sync and async: every item
once, in the list's order, one request a page."""

from __future__ import annotations

import asyncio

from leadblock_client import AsyncClient, CampaignLead, Client
from tests.client.conftest import Connect
from tests.client.proxy import running_proxy
from tests.conftest import TenantFixture
from tests.server import Server

LEADS = [f"lead-{n:02d}" for n in range(25)]


def test_iterators_walk_every_page(connect: Connect, server: Server, tenant: TenantFixture) -> None:
    with running_proxy(server.url) as proxy:
        client = connect(proxy.url, tenant.api_key)
        client.block_leads(LEADS)  # one request: the same createdAt, ordered by id
        newest_first = [lead.public_identifier for lead in client.iter_blocked_leads(limit=10)]
        assert newest_first == LEADS[::-1]
        assert len(proxy.where("GET", "/blocked-leads")) == 3

        oldest_first = client.iter_blocked_leads(limit=10, sort="ASC", offset=5)
        assert [lead.public_identifier for lead in oldest_first] == LEADS[5:]
        found = client.iter_blocked_leads(limit=2, search="lead-1")
        assert [lead.public_identifier for lead in found] == LEADS[10:20][::-1]

        campaign = client.create_campaign("pages").id
        client.enrol_leads(campaign, LEADS)
        enrolled = client.iter_campaign_leads(campaign, limit=7)
        assert [lead.public_identifier for lead in enrolled] == LEADS
        events = client.iter_events(event_type="blocked", limit=10)
        assert sorted(event.public_identifier or "" for event in events) == LEADS
        for n in range(12):
            client.create_campaign(f"more {n}")
        assert len(list(client.iter_campaigns(limit=5))) == 13


def test_an_async_iterator_walks_every_page(server: Server, tenant: TenantFixture) -> None:
    async def main() -> list[CampaignLead]:
        async with AsyncClient(server.url, tenant.api_key) as client:
            campaign = (await client.create_campaign("async pages")).id
            await client.enrol_leads(campaign, LEADS)
            return [lead async for lead in client.iter_campaign_leads(campaign, limit=4)]

    leads = asyncio.run(main())
    assert [lead.public_identifier for lead in leads] == LEADS
    with Client(server.url, tenant.api_key) as client:
        campaign = client.list_campaigns().items[0].id
        assert leads == list(client.iter_campaign_leads(campaign))
