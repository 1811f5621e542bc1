"""Webhook endpoints of a workspace: created, listed, changed, deleted, their secret rotated,
their delivery log read. Delivering is `services.webhook_delivery`'s work.

An endpoint gets the events recorded after its creation, each once it is final in the trail's
order; a URL reaches here vetted (`webhook_destinations.vet`), since resolving its host is
network work done before the transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

from leadblock.domain.ids import is_record_id, new_id, now_ms
from leadblock.domain.labels import InvalidLabel, normalise_label
from leadblock.domain.records import Caller, Delivery, DeliveryStatus, EventType, Webhook
from leadblock.domain.timestamps import iso, optional_iso
from leadblock.domain.webhooks import new_secret
from leadblock.errors import InvalidInput, NotFound
from leadblock.services.blocklist import UNCHANGED, Unchanged, require_writer
from leadblock.services.paging import cut_page, position_from_cursor
from leadblock.services.webhook_destinations import VettedDestination
from leadblock.storage import events
from leadblock.storage import webhooks as store
from leadblock.storage.db import Transaction

# After a rotation, the previous secret signs too for this long.
ROTATION_OVERLAP_MS = 24 * 3600 * 1000
# What an endpoint may subscribe to: the trail's event types (`webhook.test` is sent on demand).
EVENT_TYPES = tuple(event_type.value for event_type in EventType)
TEST_EVENT_TYPE = "webhook.test"


# /metrics counts an endpoint's backlog up to this many events: the count walks the trail's index.
BACKLOG_COUNT_CAP = 100_000


class DeliveryPage(NamedTuple):
    items: list[Delivery]
    total: int
    next_cursor: str | None


def event_types(types: Sequence[str] | None) -> frozenset[str] | None:
    """The set an endpoint subscribes to (None or empty: every type)."""
    if not types:
        return None
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            f"Unknown event type {unknown[0]!r}; the types are {', '.join(EVENT_TYPES)}."
        )
    return frozenset(types)


def _description(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return normalise_label(text, "description")
    except InvalidLabel as error:
        raise InvalidInput(f"Invalid description: {error}.") from None


def create_webhook(
    tx: Transaction,
    caller: Caller,
    destination: VettedDestination,
    types: frozenset[str] | None,
    description: str | None,
    limit: int,
) -> Webhook:
    """A new endpoint, enabled, with a new secret (shown once: the answer to its creation).
    A workspace has at most `limit`: each is a delivery loop and a copy of every event."""
    require_writer(caller)
    if store.count(tx, caller.workspace) >= limit:
        raise InvalidInput(f"A workspace has at most {limit} webhooks; delete one to add another.")
    now = now_ms()
    webhook = Webhook(
        id=new_id(now),
        url=destination.destination.url,
        event_types=types,
        description=_description(description),
        enabled=True,
        disabled_reason=None,
        secret=new_secret(),
        previous_secret=None,
        previous_secret_until=None,
        created_at=now,
        position=events.last_final(tx, caller.workspace),
        attempt=0,
        failing_since=None,
        next_attempt_at=None,
    )
    store.insert(tx, caller.workspace, webhook)
    return webhook


def list_webhooks(tx: Transaction, caller: Caller) -> list[Webhook]:
    return store.list_all(tx, caller.workspace)


def get_webhook(tx: Transaction, caller: Caller, webhook_id: str) -> Webhook:
    webhook = store.find(tx, caller.workspace, webhook_id) if is_record_id(webhook_id) else None
    if webhook is None:
        raise NotFound("Webhook not found.")
    return webhook


def update_webhook(
    tx: Transaction,
    caller: Caller,
    webhook_id: str,
    *,
    destination: VettedDestination | None = None,
    types: frozenset[str] | Unchanged | None = UNCHANGED,
    description: str | Unchanged | None = UNCHANGED,
    enabled: bool | None = None,
) -> Webhook:
    """Change what is given. Enabling a disabled endpoint resumes its delivery at the first
    event it has not had, at once."""
    require_writer(caller)
    webhook = get_webhook(tx, caller, webhook_id)
    changed = dataclasses.replace(
        webhook,
        url=webhook.url if destination is None else destination.destination.url,
        event_types=webhook.event_types if isinstance(types, Unchanged) else types,
        description=(webhook.description if isinstance(description, Unchanged) else description),
        enabled=webhook.enabled if enabled is None else enabled,
    )
    restart = changed.enabled and not webhook.enabled
    if restart:
        changed = dataclasses.replace(
            changed, disabled_reason=None, attempt=0, failing_since=None, next_attempt_at=None
        )
    store.update(tx, caller.workspace, changed, restart=restart)
    return changed


def rotate_secret(tx: Transaction, caller: Caller, webhook_id: str) -> Webhook:
    """A new secret; the one it replaces signs too for `ROTATION_OVERLAP_MS`."""
    require_writer(caller)
    webhook = get_webhook(tx, caller, webhook_id)
    secret = new_secret()
    until = now_ms() + ROTATION_OVERLAP_MS
    store.rotate_secret(tx, caller.workspace, webhook.id, secret, until)
    return dataclasses.replace(
        webhook, secret=secret, previous_secret=webhook.secret, previous_secret_until=until
    )


def delete_webhook(tx: Transaction, caller: Caller, webhook_id: str) -> None:
    require_writer(caller)
    if not (is_record_id(webhook_id) and store.delete(tx, caller.workspace, webhook_id)):
        raise NotFound("Webhook not found.")


def list_deliveries(
    tx: Transaction, caller: Caller, webhook_id: str, *, limit: int, cursor: str | None
) -> DeliveryPage:
    """The endpoint's attempts, newest first; while its head event waits for a retry, the
    first page starts with that next attempt (status `pending`)."""
    webhook = get_webhook(tx, caller, webhook_id)
    after = position_from_cursor(cursor, True, 0)
    rows = store.deliveries(
        tx, caller.workspace, webhook.id, after_id=after and after[1], limit=limit + 1
    )
    waiting = webhook.enabled and webhook.next_attempt_at is not None
    if after is None and waiting and rows and rows[0].status is DeliveryStatus.FAILED:
        rows.insert(0, _next_attempt(rows[0], webhook.next_attempt_at or 0))
    items, next_cursor = cut_page(rows, limit, True, lambda d: (d.at, d.id))
    return DeliveryPage(
        items, store.count_deliveries(tx, caller.workspace, webhook.id), next_cursor
    )


class Queue(NamedTuple):
    """Where delivery stands over every workspace, for operators (/metrics)."""

    healthy: int  # enabled endpoints whose last attempt did not fail
    failing: int  # enabled endpoints retrying a failed event
    disabled: int
    backlog: int  # events the enabled endpoints have yet to go through
    oldest_pending_at: int | None  # when the longest-waiting of those events was recorded


def queue(tx: Transaction) -> Queue:
    endpoints = store.queue(tx, BACKLOG_COUNT_CAP)
    pending = [oldest_at for enabled, _, _, oldest_at in endpoints if enabled and oldest_at]
    return Queue(
        healthy=sum(enabled and not failing for enabled, failing, _, _ in endpoints),
        failing=sum(enabled and failing for enabled, failing, _, _ in endpoints),
        disabled=sum(not enabled for enabled, _, _, _ in endpoints),
        backlog=sum(backlog for _, _, backlog, _ in endpoints),
        oldest_pending_at=min(pending, default=None),
    )


def _next_attempt(failed: Delivery, at: int) -> Delivery:
    """The attempt a failed one is to be followed by, as the log lists it until it is made:
    its id is the failed one's, with the time of the next attempt in front."""
    return failed._replace(
        id=f"{at:012x}{failed.id[12:]}",
        status=DeliveryStatus.PENDING,
        attempt=failed.attempt + 1,
        response_status=None,
        error=None,
        at=at,
        next_attempt_at=None,
    )


def webhook_json(webhook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    """An endpoint as the API and the CLI show it; its secret only where it is shown once."""
    body: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "events": sorted(webhook.event_types or ()),
        "description": webhook.description,
        "enabled": webhook.enabled,
        "disabledReason": webhook.disabled_reason,
        "createdAt": iso(webhook.created_at),
        "failingSince": optional_iso(webhook.failing_since),
        "nextAttemptAt": optional_iso(webhook.next_attempt_at),
    }
    if with_secret:
        body["secret"] = webhook.secret
    return body


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "eventId": delivery.event_id,
        "type": delivery.type,
        "attempt": delivery.attempt,
        "status": delivery.status.value,
        "responseStatus": delivery.response_status,
        "error": delivery.error,
        "at": iso(delivery.at),
        "nextAttemptAt": optional_iso(delivery.next_attempt_at),
    }
