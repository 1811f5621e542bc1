"""Retries against real servers: a rate-limited call waits what `Retry-After` says and goes
through; a lost answer is asked again, a write with the same Idempotency-Key, so it is applied
once; a call the server never replays is not sent twice.

Lost answers are lost by a real proxy (proxy.py) between the client and the session's server;
rate limits are those of a server of the test's own, started with a low `LEADBLOCK_RATE_LIMIT`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from leadblock_client import (
    APIConnectionError,
    Page,
    RateLimitedError,
    Retry,
    RetryNotice,
)
from tests.client.conftest import FAST, Connect
from tests.client.proxy import Fate, Proxy, running_proxy
from tests.conftest import TenantFixture
from tests.receiver import Receiver
from tests.server import Server, running_server

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# At most this many calls to find two in one window of one request a second: the window starts
# with its first request, so the second of two calls made back to back is refused.
CALLS = 10


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server of its own allowing one request a second per key, and a key of its database."""
    folder = tmp_path_factory.mktemp("limited")
    url = f"sqlite:///{folder / 'limited.db'}"
    database = Database(Settings(database_url=url))
    migrate(database)
    with database.transaction(write=True) as tx:
        _workspace, _key, api_key = workspaces.create_workspace(tx, "limited")
    database.dispose()
    with running_server(url, folder / "server.log", LEADBLOCK_RATE_LIMIT="1/second") as server:
        yield server, api_key


@pytest.fixture
def proxy(server: Server) -> Iterator[Proxy]:
    with running_proxy(server.url) as running:
        yield running


def test_a_rate_limited_call_waits_as_long_as_retry_after_says(
    connect: Connect, limited: tuple[Server, str]
) -> None:
    server, api_key = limited
    notices: list[RetryNotice] = []
    with running_proxy(server.url) as proxy:
        client = connect(proxy.url, api_key, retry=Retry(on_retry=notices.append))
        for _ in range(CALLS):
            assert client.check_lead("john-doe").contactable is True
            if notices:
                break
        refused = [passed for passed in proxy.passed if passed.status == 429]
        assert notices
        assert [(n.status, n.code, n.wait) for n in notices] == [
            (429, "rate_limited", float(passed.retry_after or "nan")) for passed in refused
        ]
        assert proxy.passed[-1].status == 200


def test_a_retry_after_beyond_max_retry_after_is_raised_at_once(
    connect: Connect, limited: tuple[Server, str]
) -> None:
    server, api_key = limited
    notices: list[RetryNotice] = []
    client = connect(server.url, api_key, retry=Retry(max_retry_after=0.5, on_retry=notices.append))
    with pytest.raises(RateLimitedError) as refused:  # noqa: PT012 - calls until one is refused
        for _ in range(CALLS):
            client.check_lead("john-doe")
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert refused.value.retry_after is not None
    assert refused.value.retry_after > 0.5
    assert notices == []


def test_writes_whose_answers_are_lost_are_sent_again_with_their_key_and_done_once(
    connect: Connect, tenant: TenantFixture, proxy: Proxy
) -> None:
    client = connect(proxy.url, tenant.api_key, retry=FAST)
    proxy.lose_first("POST", "/campaigns")
    campaign = client.create_campaign("once")
    sent_twice(proxy, "POST", "/campaigns")
    assert client.list_campaigns() == Page((campaign,), 1, None)

    [lead] = client.block_leads(["john-doe"]).leads
    assert lead.id is not None
    proxy.lose_first("PATCH", f"/blocked-leads/{lead.id}")
    assert client.update_blocked_lead(lead.id, reason="Asked twice").reason == "Asked twice"
    sent_twice(proxy, "PATCH", f"/blocked-leads/{lead.id}")
    proxy.lose_first("DELETE", f"/blocked-leads/{lead.id}")
    assert client.unblock_lead(lead.id) is None  # done twice, the second would be a 404
    sent_twice(proxy, "DELETE", f"/blocked-leads/{lead.id}")

    trail = [event.type for event in client.iter_events(public_identifier="john-doe")]
    assert trail == ["unblocked", "reason_changed", "blocked"]
    # Four writes, seven sends: one key per write, whatever its retries.
    keys = [passed.idempotency_key for passed in proxy.passed if passed.method != "GET"]
    assert len(keys) == 7
    assert None not in keys
    assert len(set(keys)) == 4


def test_a_read_whose_answer_is_lost_is_asked_again(
    connect: Connect, tenant: TenantFixture, proxy: Proxy
) -> None:
    client = connect(proxy.url, tenant.api_key, retry=FAST)
    campaign = client.create_campaign("read me")
    proxy.lose_first("GET", f"/campaigns/{campaign.id}")
    assert client.get_campaign(campaign.id) == campaign
    sends = proxy.where("GET", f"/campaigns/{campaign.id}")
    assert [(passed.fate, passed.idempotency_key) for passed in sends] == [
        (Fate.LOSE, None),
        (Fate.PASS, None),
    ]


def test_a_webhook_test_whose_answer_is_lost_is_not_sent_again(
    connect: Connect, tenant: TenantFixture, proxy: Proxy, receiver: Receiver
) -> None:
    """The server never replays a test event: a second send would send a second event."""
    client = connect(proxy.url, tenant.api_key, retry=FAST)
    path = receiver.new_path()
    webhook = client.create_webhook(receiver.url(path))
    proxy.lose_first("POST", "/test")
    with pytest.raises(APIConnectionError):
        client.test_webhook(webhook.id)
    [sent] = proxy.where("POST", "/test")
    assert (sent.fate, sent.status, sent.idempotency_key) == (Fate.LOSE, 200, None)
    assert [item.payload["type"] for item in receiver.got(path)] == ["webhook.test"]


def sent_twice(proxy: Proxy, method: str, suffix: str) -> str:
    """The key of a call whose first answer the proxy lost and whose retry the server
    replayed; checks both sends."""
    first, again = proxy.where(method, suffix)
    assert first.idempotency_key is not None
    assert UUID4.fullmatch(first.idempotency_key)
    assert (first.fate, first.status, first.replayed) == (Fate.LOSE, 200, False)
    assert (again.fate, again.status, again.replayed, again.idempotency_key) == (
        Fate.PASS,
        200,
        True,
        first.idempotency_key,
    )
    return first.idempotency_key
