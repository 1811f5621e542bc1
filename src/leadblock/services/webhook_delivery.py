"""Delivering webhooks: every event to every endpoint that wants it, in the trail's order, at
least once, and never from two server processes at a time.

Every server process runs a `Deliverer`. About every `POLL_S` it looks (a read) for endpoints
that are enabled, not leased, not waiting for a retry, and have events after their position;
it leases those (a write: `lease-due-webhooks`, `SKIP LOCKED` on PostgreSQL) and runs one task
per leased endpoint, so a slow endpoint holds back nobody else. The task reads the endpoint's
next final events (`storage.events.final_after`) and posts them one by one, never following a
redirect, to an address its destination was vetted to (resolved, every address public or its
`host:port` allowed) at the batch's start and again after each progress write. That progress
(the position, the log of attempts, the lease renewed) is written at least every
`FLUSH_EVERY_S` and at the end of each batch: a crash re-sends at most what was delivered
since (the same `webhook-id`: receivers drop a duplicate). A progress write finding the
endpoint disabled, given another URL or leased elsewhere writes nothing and stops. The first
failure stops the batch: the event is tried again after a growing delay, always before any
event after it; once the endpoint has failed for the whole retry window it is disabled, and
enabling it again resumes at that event.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import httpx
import orjson

from leadblock import __version__, metrics
from leadblock.config import Settings
from leadblock.domain.ids import RisingIds, new_id, now_ms
from leadblock.domain.records import Delivery, DeliveryStatus, Event, Webhook
from leadblock.domain.timestamps import iso
from leadblock.domain.trail import event_json
from leadblock.domain.webhooks import InvalidDestination, next_attempt_at, signature_header
from leadblock.services.background import Foreground
from leadblock.services.webhook_destinations import VettedDestination, vet
from leadblock.services.webhooks import TEST_EVENT_TYPE
from leadblock.storage import events
from leadblock.storage import webhooks as store
from leadblock.storage.db import Database, Transaction
from leadblock.storage.group_commit import GroupCommit, drain_forever, read_small, write_small

logger = logging.getLogger("leadblock")

POLL_S = 0.5
BATCH = 200  # events read per step
FLUSH_EVERY_S = 1.0  # progress written at least this often while delivering
MAX_ENDPOINTS = 64  # endpoints one process delivers to at once
MAX_ANSWER_BYTES = 64 * 1024  # of a receiver's answer body read (the rest is dropped)
# Between two events while a large request runs in this process (about 50 events/s then, a
# few percent of a core instead of all of it).
YIELD_S = 0.02
PRUNE_EVERY_S = 3600
PRUNE_BATCH = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    """The operator's rules for deliveries (`LEADBLOCK_WEBHOOK_*`)."""

    allow_http: bool
    allowed_hosts: frozenset[str]
    timeout_s: float
    retry_delays_ms: tuple[int, ...]
    retry_window_ms: int
    log_ms: int

    @property
    def lease_ms(self) -> int:
        """How long a lease lasts unrenewed: well past one answer's timeout and a flush. A
        process that dies holding one holds up its endpoint this long."""
        return round((3 * self.timeout_s + 5) * 1000)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            allow_http=settings.webhook_allow_http,
            allowed_hosts=settings.webhook_allowed_host_ports,
            timeout_s=settings.webhook_timeout_s,
            retry_delays_ms=settings.webhook_retry_delays_ms,
            retry_window_ms=round(settings.webhook_retry_window_h * 3600 * 1000),
            log_ms=round(settings.webhook_log_days * 24 * 3600 * 1000),
        )

    async def vet(self, url: str) -> VettedDestination:
        """`webhook_destinations.vet` with this policy, resolving off the event loop."""
        return await asyncio.to_thread(
            vet, url, allow_http=self.allow_http, allowed_hosts=self.allowed_hosts
        )


class Outcome(NamedTuple):
    succeeded: bool
    response_status: int | None
    error: str | None


def body_of(event_type: str, data: dict[str, Any], at: int) -> bytes:
    """A delivery's body, as Standard Webhooks has it: `{"type", "timestamp", "data"}`."""
    return orjson.dumps({"type": event_type, "timestamp": iso(at), "data": data})


async def post(
    client: httpx.AsyncClient,
    webhook: Webhook,
    destination: VettedDestination,
    message_id: str,
    body: bytes,
    now: int,
    timeout_s: float,
) -> Outcome:
    """POST one signed delivery to the addresses `destination` resolved to, in turn until one
    accepts the connection (the host name in `Host` and TLS's SNI), within `timeout_s` in all.
    A refused connection sent nothing, so the next address never gets a second copy."""
    secrets_in_use = [webhook.secret]
    if webhook.previous_secret and (webhook.previous_secret_until or 0) > now:
        secrets_in_use.append(webhook.previous_secret)
    timestamp = now // 1000
    target = destination.destination
    url = httpx.URL(target.url)
    headers = {
        "host": url.netloc.decode("ascii"),
        "content-type": "application/json",
        "user-agent": f"leadblock-webhooks/{__version__}",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_use, message_id, timestamp, body),
    }
    requests = [
        client.build_request(
            "POST",
            url.copy_with(host=address),
            content=body,
            headers=headers,
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        for address in destination.addresses
    ]
    try:
        async with asyncio.timeout(timeout_s):
            response = await _send_to_first_accepting(client, requests)
            try:
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read > MAX_ANSWER_BYTES:
                        break
            finally:
                await response.aclose()
    except TimeoutError:
        return Outcome(False, None, f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as error:
        return Outcome(False, None, _transport_error(error))
    status = response.status_code
    if 200 <= status < 300:
        return Outcome(True, status, None)
    if 300 <= status < 400:
        return Outcome(False, status, f"HTTP {status}: redirects are not followed")
    return Outcome(False, status, f"HTTP {status}")


async def _send_to_first_accepting(
    client: httpx.AsyncClient, requests: list[httpx.Request]
) -> httpx.Response:
    for request in requests[:-1]:
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError:
            continue
    return await client.send(requests[-1], stream=True)


def _transport_error(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return f"could not connect: {error}" if str(error) else "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the connection was closed before an answer"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def new_client(timeout_s: float) -> httpx.AsyncClient:
    """A client for one endpoint's deliveries: its connections are kept for that endpoint only
    (two hosts at one address must not share a TLS connection), no redirect is followed, no
    proxy from the environment is used, and no cookie is kept."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout_s)


class Deliverer:
    """The delivery loop of one server process."""

    def __init__(
        self,
        database: Database,
        group_commit: GroupCommit | None,
        policy: Policy,
        foreground: Foreground | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.database = database
        self.group_commit = group_commit
        self.policy = policy
        self.foreground = foreground or Foreground()
        self.clock = clock
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.running: dict[tuple[int, str], asyncio.Task[None]] = {}
        self.attempt_ids = RisingIds()  # the log lists attempts newest first, by id

    async def run_forever(self) -> None:
        """Lease and deliver for the server's lifetime; never ends on a failure."""
        pruning = asyncio.create_task(self._prune_forever())
        try:
            while True:
                try:
                    await self.lease_due()
                except Exception:
                    logger.exception("could not look for webhooks to deliver")
                await asyncio.sleep(POLL_S)
        finally:
            pruning.cancel()
            for task in [pruning, *self.running.values()]:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def lease_due(self) -> list[tuple[int, str]]:
        """Lease the endpoints due now and start delivering to each; return them."""
        room = MAX_ENDPOINTS - len(self.running)
        now = self.clock()
        if room <= 0 or not await read_small(self.database, partial(store.any_due, now=now)):
            return []
        leased: list[tuple[int, str]] = await self._write(
            partial(
                store.lease_due,
                now=now,
                lease_until=now + self.policy.lease_ms,
                leased_by=self.name,
                limit=room,
            )
        )
        for endpoint in leased:
            task = asyncio.create_task(self.deliver_to(*endpoint))
            self.running[endpoint] = task
            task.add_done_callback(partial(self._done, endpoint))
        return leased

    def _done(self, endpoint: tuple[int, str], _task: asyncio.Task[None]) -> None:
        self.running.pop(endpoint, None)

    async def deliver_to(self, workspace: int, webhook_id: str) -> None:
        """Deliver to one leased endpoint until it is up to date, fails, or is no longer ours
        (deleted, disabled, its URL changed, its lease lost); then give the lease back."""
        release = partial(
            store.release, workspace=workspace, webhook_id=webhook_id, leased_by=self.name
        )
        try:
            async with new_client(self.policy.timeout_s) as client:
                while await self._step(client, workspace, webhook_id):
                    pass
        except asyncio.CancelledError:  # the server is shutting down
            with contextlib.suppress(Exception):
                await asyncio.shield(self._write(release))
            raise
        except Exception:
            logger.exception("webhook %s: delivery failed", webhook_id)
        with contextlib.suppress(Exception):
            await self._write(release)

    async def _step(self, client: httpx.AsyncClient, workspace: int, webhook_id: str) -> bool:
        """Deliver one batch; whether to go on with the next."""
        webhook, batch = await read_small(
            self.database, partial(self._next_batch, workspace=workspace, webhook_id=webhook_id)
        )
        if webhook is None or not batch:
            return False
        run = _Run(self, workspace, webhook)
        for event in batch:
            if webhook.wants(event.type.value):
                if run.destination is None:  # vetted at the batch's start and after each flush
                    try:
                        run.destination = await self.policy.vet(webhook.url)
                    except InvalidDestination as refused:
                        run.attempted(event, Outcome(False, None, f"refused: {refused}"))
                        return await run.flush()
                if self.foreground.busy:  # a large request runs: at most one event per pause
                    await asyncio.sleep(YIELD_S)
                now = self.clock()
                body = body_of(event.type.value, event_json(event), now)
                outcome = await post(
                    client, webhook, run.destination, event.id, body, now, self.policy.timeout_s
                )
                run.attempted(event, outcome)
                if not outcome.succeeded:
                    return await run.flush()
            run.position = (event.seq, event.id)
            if run.due() and not await run.flush():
                return False
        return await run.flush()

    def _next_batch(
        self, tx: Transaction, workspace: int, webhook_id: str
    ) -> tuple[Webhook | None, list[Event]]:
        """The endpoint and its next final events, while it is enabled and ours."""
        webhook = store.find(tx, workspace, webhook_id)
        if webhook is None or not webhook.enabled or webhook.leased_by != self.name:
            return None, []
        return webhook, events.final_after(tx, workspace, webhook.position, BATCH)

    async def _write(self, work: Callable[[Transaction], Any]) -> Any:
        return await write_small(self.database, self.group_commit, work)

    def prune_batch(self) -> Callable[[Transaction], int]:
        """The work of deleting a batch of the attempts older than the log keeps."""
        return partial(store.prune, before=self.clock() - self.policy.log_ms, limit=PRUNE_BATCH)

    async def _prune_forever(self) -> None:
        await drain_forever(
            self.database,
            self.group_commit,
            self.prune_batch,
            PRUNE_BATCH,
            PRUNE_EVERY_S,
            "prune the webhook delivery log",
        )


class _Run:
    """One batch's progress on one endpoint, written by `flush`."""

    def __init__(self, deliverer: Deliverer, workspace: int, webhook: Webhook) -> None:
        self.deliverer = deliverer
        self.workspace = workspace
        self.webhook = webhook
        self.position = webhook.position
        self.attempts: list[Delivery] = []
        self.failed: Outcome | None = None
        self.flushed_at = time.monotonic()
        self.destination: VettedDestination | None = None  # None: to be vetted (again)

    def attempted(self, event: Event, outcome: Outcome) -> None:
        # The head event (nothing delivered since the endpoint's position) counts on from the
        # endpoint's failed attempts; an event after a delivery in this run is tried first.
        attempt = self.webhook.attempt + 1 if self.position == self.webhook.position else 1
        self.attempts.append(
            Delivery(
                id=self.deliverer.attempt_ids.next(self.deliverer.clock()),
                event_id=event.id,
                type=event.type.value,
                attempt=attempt,
                status=DeliveryStatus.SUCCEEDED if outcome.succeeded else DeliveryStatus.FAILED,
                response_status=outcome.response_status,
                error=outcome.error,
                at=self.deliverer.clock(),
                next_attempt_at=None,
            )
        )
        metrics.observe_webhook_attempt(outcome.succeeded)
        if not outcome.succeeded:
            self.failed = outcome

    def due(self) -> bool:
        return time.monotonic() - self.flushed_at >= FLUSH_EVERY_S

    async def flush(self) -> bool:
        """Write the progress so far; whether delivery goes on (the lease still ours, no
        failure)."""
        deliverer = self.deliverer
        policy = deliverer.policy
        webhook = self.webhook
        moved = self.position != webhook.position
        now = deliverer.clock()
        retry_at: int | None = None
        disabled: str | None = None
        if self.failed is not None:
            failing_since = now if moved or webhook.failing_since is None else webhook.failing_since
            attempt = self.attempts[-1].attempt
            retry_at = next_attempt_at(
                attempt, failing_since, now, policy.retry_delays_ms, policy.retry_window_ms
            )
            if retry_at is None:
                hours = policy.retry_window_ms / 3_600_000
                disabled = f"Deliveries failed for {hours:g} hours; last: {self.failed.error}"
            self.attempts[-1] = self.attempts[-1]._replace(next_attempt_at=retry_at)
        attempts, self.attempts = self.attempts, []

        def write(tx: Transaction) -> bool:
            ours = True
            if moved:
                ours = store.advance(
                    tx,
                    self.workspace,
                    webhook,
                    deliverer.name,
                    self.position,
                    now + policy.lease_ms,
                )
            if ours and attempts:
                store.log(tx, self.workspace, webhook.id, attempts)
            if ours and self.failed is not None:
                store.fail(tx, self.workspace, webhook.id, deliverer.name, now, retry_at, disabled)
            return ours

        ours: bool = await deliverer._write(write)
        if moved:
            self.webhook = webhook = _moved(webhook, self.position)
        self.flushed_at = time.monotonic()
        self.destination = None
        if ours and disabled:
            logger.warning("webhook %s disabled: %s", webhook.id, disabled)
            metrics.observe_webhook_disabled()
        return ours and self.failed is None


def _moved(webhook: Webhook, position: tuple[int, str]) -> Webhook:
    return dataclasses.replace(
        webhook, position=position, attempt=0, failing_since=None, next_attempt_at=None
    )


async def send_test(
    database: Database,
    group_commit: GroupCommit | None,
    policy: Policy,
    workspace: int,
    webhook: Webhook,
) -> Delivery:
    """POST a `webhook.test` event to `webhook` now (enabled or not), log the attempt, and
    return it. It is no event of the trail: it moves nothing."""
    now = now_ms()
    test_id = new_id(now)
    data = {"id": test_id, "type": TEST_EVENT_TYPE, "at": iso(now), "webhookId": webhook.id}
    try:
        destination = await policy.vet(webhook.url)
    except InvalidDestination as refused:
        outcome = Outcome(False, None, f"refused: {refused}")
    else:
        async with new_client(policy.timeout_s) as client:
            body = body_of(TEST_EVENT_TYPE, data, now)
            outcome = await post(client, webhook, destination, test_id, body, now, policy.timeout_s)
    delivery = Delivery(
        id=new_id(now_ms()),
        event_id=test_id,
        type=TEST_EVENT_TYPE,
        attempt=1,
        status=DeliveryStatus.SUCCEEDED if outcome.succeeded else DeliveryStatus.FAILED,
        response_status=outcome.response_status,
        error=outcome.error,
        at=now,
        next_attempt_at=None,
    )
    await write_small(database, group_commit, partial(_log_test, workspace, webhook.id, delivery))
    return delivery


def _log_test(workspace: int, webhook_id: str, delivery: Delivery, tx: Transaction) -> None:
    store.log(tx, workspace, webhook_id, [delivery])  # nothing if the endpoint went meanwhile
