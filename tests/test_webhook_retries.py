"""The retry schedule, disabling after the retry window, resuming, delivery-time vetting and the
log's pruning: a `Deliverer` with an injected clock on a real database of each backend, posting
to a real receiver (no server process runs here, so none competes for the endpoint)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from leadblock.config import Settings
from leadblock.domain.ids import now_ms
from leadblock.domain.records import Caller, DeliveryStatus, EventType, Webhook
from leadblock.domain.webhooks import RETRY_DELAYS_S, RETRY_WINDOW_S, new_secret, parse_destination
from leadblock.services import webhooks, workspaces
from leadblock.services.webhook_delivery import Deliverer, Outcome, Policy, new_client, post
from leadblock.services.webhook_destinations import VettedDestination, vet
from leadblock.storage import events
from leadblock.storage import webhooks as store
from leadblock.storage.db import Database
from leadblock.storage.group_commit import GroupCommit
from tests.receiver import Behaviour, Receiver

T = TypeVar("T")
START = 1_900_000_000_000  # an instant of the injected clock (2030)
DAY_MS = 24 * 3600 * 1000


# One loop for every round (PostgreSQL's async pool lives on it), in a thread of its own: the
# browser tests' Playwright keeps a loop running in the main thread for the session.
_loop = asyncio.new_event_loop()
threading.Thread(target=_loop.run_forever, daemon=True).start()


def _on_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coroutine, _loop).result()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def lonely_database(own_database_url: str) -> Iterator[Database]:
    """A database of its own, which no server process delivers from."""
    database = Database(Settings(database_url=own_database_url))
    yield database
    writer = _group_commits.pop(database, None)
    if writer is not None:
        writer.stop()
    _on_loop(database.close())
    database.dispose()


_group_commits: dict[Database, GroupCommit] = {}


def group_commit(database: Database) -> GroupCommit | None:
    """As the server has it: SQLite writes go through the group commit (one per database)."""
    if database.dialect != "sqlite":
        return None
    return _group_commits.setdefault(database, GroupCommit(database, 5))


def policy(receiver: Receiver, *, allowed: bool = True) -> Policy:
    return Policy(
        allow_http=True,
        allowed_hosts=frozenset({receiver.host_port} if allowed else set()),
        timeout_s=2,
        retry_delays_ms=tuple(delay * 1000 for delay in RETRY_DELAYS_S),
        retry_window_ms=RETRY_WINDOW_S * 1000,
        log_ms=30 * DAY_MS,
    )


def setup(database: Database, receiver: Receiver, path: str) -> tuple[Caller, Webhook]:
    """A workspace with an endpoint to `path`, and two events after its creation."""
    destination = vet(receiver.url(path), allow_http=True, allowed_hosts={receiver.host_port})
    with database.transaction(write=True) as tx:
        workspace, _key, _plain = workspaces.create_workspace(tx, "retries")
        caller = Caller(workspace.id, workspace.number, None)
        webhook = webhooks.create_webhook(tx, caller, destination, None, None, limit=20)
    with database.transaction(write=True) as tx:
        events.record(
            tx,
            workspace.number,
            None,
            EventType.BLOCKED,
            START,
            [("lead-a", None), ("lead-b", None)],
        )
    receiver.verify_with(path, webhook.secret)
    return caller, webhook


def deliver(deliverer: Deliverer) -> int:
    """One round: lease what is due, deliver, and wait for it; how many endpoints it leased."""

    async def round_() -> int:
        leased = await deliverer.lease_due()
        await asyncio.gather(*deliverer.running.values())
        return len(leased)

    return _on_loop(round_())


def endpoint(database: Database, caller: Caller, webhook_id: str) -> Webhook:
    with database.transaction() as tx:
        return webhooks.get_webhook(tx, caller, webhook_id)


def test_retries_follow_the_schedule_then_the_endpoint_is_disabled_and_resumes(
    lonely_database: Database, receiver: Receiver
) -> None:
    database = lonely_database
    path = receiver.new_path()
    caller, webhook = setup(database, receiver, path)
    clock = Clock()
    deliverer = Deliverer(database, group_commit(database), policy(receiver), clock=clock)
    receiver.behave(path, Behaviour(status=500))

    expected_delays = list(RETRY_DELAYS_S)
    failing_since = START
    attempt = 0
    while True:
        assert deliver(deliverer) == 1
        attempt += 1
        state = endpoint(database, caller, webhook.id)
        if not state.enabled:
            break
        delay = expected_delays[min(attempt, len(expected_delays)) - 1]
        assert (state.attempt, state.failing_since) == (attempt, failing_since)
        assert state.next_attempt_at == clock.now + delay * 1000
        # Nothing is due a moment before the retry; at the retry, the same event again.
        clock.now = state.next_attempt_at - 1
        assert deliver(deliverer) == 0
        clock.now = state.next_attempt_at
    assert clock.now - START >= RETRY_WINDOW_S * 1000
    assert clock.now - START < RETRY_WINDOW_S * 1000 + RETRY_DELAYS_S[-1] * 1000
    assert state.disabled_reason == "Deliveries failed for 72 hours; last: HTTP 500"
    assert state.next_attempt_at is None
    got = receiver.got(path)
    assert len(got) == attempt
    assert {item.payload["data"]["publicIdentifier"] for item in got} == {"lead-a"}
    assert len({item.webhook_id for item in got}) == 1
    # A disabled endpoint is left alone, however long.
    clock.now += 30 * DAY_MS
    assert deliver(deliverer) == 0

    # Enabled again: at once, from the event that failed, then the rest.
    receiver.reset(path)
    with database.transaction(write=True) as tx:
        webhooks.update_webhook(tx, caller, webhook.id, enabled=True)
    assert deliver(deliverer) == 1
    delivered = [item.payload["data"]["publicIdentifier"] for item in receiver.delivered(path)]
    assert delivered == ["lead-a", "lead-b"]
    state = endpoint(database, caller, webhook.id)
    assert (state.enabled, state.attempt, state.disabled_reason) == (True, 0, None)
    with database.transaction() as tx:
        log = webhooks.list_deliveries(tx, caller, webhook.id, limit=1000, cursor=None).items
    # Enabling gave the event a clean slate: its next attempt counts from 1 again.
    assert [d.attempt for d in reversed(log)] == [*range(1, attempt + 1), 1, 1]
    assert log[2].next_attempt_at is None  # the attempt that disabled it


def test_the_log_is_pruned_after_its_time(lonely_database: Database, receiver: Receiver) -> None:
    database = lonely_database
    path = receiver.new_path()
    caller, webhook = setup(database, receiver, path)
    clock = Clock()
    deliverer = Deliverer(database, group_commit(database), policy(receiver), clock=clock)
    deliver(deliverer)
    assert len(receiver.delivered(path)) == 2
    for days, left in ((29, 2), (31, 0)):
        clock.now = START + days * DAY_MS
        with database.transaction(write=True) as tx:
            deliverer.prune_batch()(tx)
        with database.transaction() as tx:
            assert store.count_deliveries(tx, caller.workspace, webhook.id) == left


def test_each_delivery_vets_the_destination_again(
    lonely_database: Database, receiver: Receiver
) -> None:
    """The URL was allowed at creation; at delivery it no longer is (the operator took the
    allowance back): nothing is sent, the attempt fails with the reason, and is retried."""
    database = lonely_database
    path = receiver.new_path()
    caller, webhook = setup(database, receiver, path)
    clock = Clock()
    deliver(
        Deliverer(database, group_commit(database), policy(receiver, allowed=False), clock=clock)
    )
    assert receiver.got(path) == []
    with database.transaction() as tx:
        pending, attempt = webhooks.list_deliveries(
            tx, caller, webhook.id, limit=10, cursor=None
        ).items
    assert (pending.status, pending.attempt, pending.at) == (
        DeliveryStatus.PENDING,
        2,
        START + RETRY_DELAYS_S[0] * 1000,
    )
    assert attempt.error == (
        "refused: url's host 127.0.0.1 is a loopback address: webhooks are delivered to "
        "public addresses only"
    )
    assert attempt.next_attempt_at == START + RETRY_DELAYS_S[0] * 1000


def test_the_previous_secret_signs_for_24_hours_after_a_rotation(
    lonely_database: Database, receiver: Receiver
) -> None:
    database = lonely_database
    path = receiver.new_path()
    caller, webhook = setup(database, receiver, path)
    with database.transaction(write=True) as tx:
        rotated = webhooks.rotate_secret(tx, caller, webhook.id)
    assert rotated.previous_secret_until is not None
    receiver.verify_with(path, webhook.secret, rotated.secret)
    clock = Clock()
    deliverer = Deliverer(database, group_commit(database), policy(receiver), clock=clock)
    # Within the 24 hours: both secrets sign (each alone verifies); after them, the new one only.
    clock.now = rotated.previous_secret_until - 1
    with database.transaction(write=True) as tx:
        events.record(tx, caller.workspace, None, EventType.UNBLOCKED, clock.now, [("x-1", None)])
    deliver(deliverer)
    clock.now = rotated.previous_secret_until
    with database.transaction(write=True) as tx:
        events.record(tx, caller.workspace, None, EventType.UNBLOCKED, clock.now, [("x-2", None)])
    deliver(deliverer)
    # The injected clock is a day ahead, which `verify` would refuse as a timestamp (it allows
    # five minutes): each signature is compared with what standardwebhooks' own `sign` makes.
    signed_by = []
    for item in receiver.delivered(path):
        at = datetime.fromtimestamp(int(item.headers["webhook-timestamp"]), tz=UTC)
        present = item.headers["webhook-signature"].split()
        signed_by.append(
            [
                StandardWebhook(secret).sign(item.webhook_id, at, item.body.decode()) in present
                for secret in (webhook.secret, rotated.secret)
            ]
        )
    assert signed_by == [[True, True]] * 3 + [[False, True]]


def test_a_delivery_tries_each_resolved_address_until_one_accepts(receiver: Receiver) -> None:
    """A host that resolves to several addresses (IPv6 and IPv4, say) is delivered to through
    the first that accepts the connection; one that refuses it got nothing, so nothing is sent
    twice. The receiver listens on 127.0.0.1 only: 127.0.0.2 and 127.0.0.3 refuse."""
    path = receiver.new_path()
    hook = Webhook(
        id="w1", url=receiver.url(path), event_types=None, description=None, enabled=True,
        disabled_reason=None, secret=new_secret(), previous_secret=None,
        previous_secret_until=None, created_at=START, position=(0, ""), attempt=0,
        failing_since=None, next_attempt_at=None,
    )  # fmt: skip
    receiver.verify_with(path, hook.secret)
    destination = parse_destination(hook.url, allow_http=True)

    def send_to(*addresses: str) -> Outcome:
        async def send() -> Outcome:
            async with new_client(5) as client:
                vetted = VettedDestination(destination, list(addresses))
                return await post(client, hook, vetted, "msg_1", b"{}", now_ms(), 5)

        return _on_loop(send())

    assert send_to("127.0.0.2", "127.0.0.1") == Outcome(True, 200, None)
    assert len(receiver.got(path)) == 1
    refused = send_to("127.0.0.2", "127.0.0.3")
    assert not refused.succeeded
    assert (refused.error or "").startswith("could not connect")
    assert len(receiver.got(path)) == 1
