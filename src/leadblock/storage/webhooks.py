"""Table gateways of `webhooks` and `webhook_deliveries`: endpoints, where each stands in the
trail, the lease that lets one server process at a time deliver to each, and the log of
attempts."""

from __future__ import annotations

import json
from typing import Any

from leadblock.domain.records import Delivery, DeliveryStatus, Webhook
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

INSERT_WEBHOOK = query("insert-webhook")
SELECT_WEBHOOK = query("select-webhook")
LIST_WEBHOOKS = query("list-webhooks")
COUNT_WEBHOOKS = query("count-webhooks")
UPDATE_WEBHOOK = query("update-webhook")
ROTATE_WEBHOOK_SECRET = query("rotate-webhook-secret")
DELETE_WEBHOOK = query("delete-webhook")
DELETE_WEBHOOK_DELIVERIES = query("delete-webhook-deliveries")
ANY_WEBHOOK_DUE = query("any-webhook-due")
LEASE_DUE_WEBHOOKS = query("lease-due-webhooks")
ADVANCE_WEBHOOK = query("advance-webhook")
FAIL_WEBHOOK = query("fail-webhook")
RELEASE_WEBHOOK = query("release-webhook")
INSERT_WEBHOOK_DELIVERY = query("insert-webhook-delivery")
LIST_WEBHOOK_DELIVERIES = query("list-webhook-deliveries")
COUNT_WEBHOOK_DELIVERIES = query("count-webhook-deliveries")
PRUNE_WEBHOOK_DELIVERIES = query("prune-webhook-deliveries")
WEBHOOK_QUEUE = query("webhook-queue")


def insert(tx: Transaction, workspace: int, webhook: Webhook) -> None:
    tx.execute(
        INSERT_WEBHOOK,
        workspace=workspace,
        id=webhook.id,
        url=webhook.url,
        event_types=_types_text(webhook.event_types),
        description=webhook.description,
        secret=webhook.secret,
        created_at=webhook.created_at,
        position_seq=webhook.position[0],
        position_id=webhook.position[1],
    )


def find(tx: Transaction, workspace: int, webhook_id: str) -> Webhook | None:
    row = tx.one(SELECT_WEBHOOK, workspace=workspace, id=webhook_id)
    return _webhook(row) if row else None


def list_all(tx: Transaction, workspace: int) -> list[Webhook]:
    return [_webhook(row) for row in tx.rows(LIST_WEBHOOKS, workspace=workspace)]


def count(tx: Transaction, workspace: int) -> int:
    return int(tx.scalar(COUNT_WEBHOOKS, workspace=workspace))


def update(tx: Transaction, workspace: int, webhook: Webhook, *, restart: bool) -> None:
    """Store `webhook`'s url, types, description and enabled; `restart`: its head event is
    tried at once, its failures forgotten (it was enabled again)."""
    tx.execute(
        UPDATE_WEBHOOK,
        workspace=workspace,
        id=webhook.id,
        url=webhook.url,
        event_types=_types_text(webhook.event_types),
        description=webhook.description,
        enabled=webhook.enabled,
        restart=restart,
    )


def rotate_secret(
    tx: Transaction, workspace: int, webhook_id: str, secret: str, previous_until: int
) -> None:
    tx.execute(
        ROTATE_WEBHOOK_SECRET,
        workspace=workspace,
        id=webhook_id,
        secret=secret,
        previous_until=previous_until,
    )


def delete(tx: Transaction, workspace: int, webhook_id: str) -> bool:
    tx.execute(DELETE_WEBHOOK_DELIVERIES, workspace=workspace, id=webhook_id)
    return tx.execute(DELETE_WEBHOOK, workspace=workspace, id=webhook_id) > 0


def any_due(tx: Transaction, now: int) -> bool:
    """Whether some endpoint may have an event to deliver now (a read: no lease is taken)."""
    return tx.scalar(ANY_WEBHOOK_DUE, now=now) is not None


def lease_due(
    tx: Transaction, now: int, lease_until: int, leased_by: str, limit: int
) -> list[tuple[int, str]]:
    """(workspace, id) of up to `limit` endpoints due now, leased to `leased_by` until
    `lease_until`: no other process delivers to them meanwhile."""
    rows = tx.tuples(
        LEASE_DUE_WEBHOOKS, now=now, lease_until=lease_until, leased_by=leased_by, limit=limit
    )
    return [(int(workspace), str(id_)) for workspace, id_ in rows]


def advance(
    tx: Transaction,
    workspace: int,
    webhook: Webhook,
    leased_by: str,
    position: tuple[int, str],
    lease_until: int,
) -> bool:
    """The endpoint is done with every event up to `position`, and keeps its lease until
    `lease_until`; False, and nothing written, if `leased_by` lost the lease or the endpoint
    was disabled or given another URL meanwhile (what was sent is then sent again)."""
    return (
        tx.execute(
            ADVANCE_WEBHOOK,
            workspace=workspace,
            id=webhook.id,
            url=webhook.url,
            leased_by=leased_by,
            position_seq=position[0],
            position_id=position[1],
            lease_until=lease_until,
        )
        > 0
    )


def fail(
    tx: Transaction,
    workspace: int,
    webhook_id: str,
    leased_by: str,
    now: int,
    next_attempt_at: int | None,
    disabled_reason: str | None,
) -> None:
    """The head event failed once more: tried again at `next_attempt_at`, or, with a
    `disabled_reason`, the endpoint is disabled. The lease ends."""
    tx.execute(
        FAIL_WEBHOOK,
        workspace=workspace,
        id=webhook_id,
        leased_by=leased_by,
        now=now,
        next_attempt_at=next_attempt_at,
        disabled_reason=disabled_reason,
    )


def release(tx: Transaction, workspace: int, webhook_id: str, leased_by: str) -> None:
    tx.execute(RELEASE_WEBHOOK, workspace=workspace, id=webhook_id, leased_by=leased_by)


def log(tx: Transaction, workspace: int, webhook_id: str, attempts: list[Delivery]) -> None:
    for delivery in attempts:
        tx.execute(
            INSERT_WEBHOOK_DELIVERY,
            workspace=workspace,
            webhook_id=webhook_id,
            **{**delivery._asdict(), "status": delivery.status.value},
        )


def deliveries(
    tx: Transaction, workspace: int, webhook_id: str, *, after_id: str | None, limit: int
) -> list[Delivery]:
    """The endpoint's attempts, newest first, after the attempt `after_id` if given."""
    rows = tx.tuples(
        LIST_WEBHOOK_DELIVERIES,
        workspace=workspace,
        webhook_id=webhook_id,
        after_id=after_id,
        limit=limit,
    )
    return [
        Delivery(id_, event_id, type_, attempt, DeliveryStatus(status), *rest)
        for id_, event_id, type_, attempt, status, *rest in rows
    ]


def count_deliveries(tx: Transaction, workspace: int, webhook_id: str) -> int:
    return int(tx.scalar(COUNT_WEBHOOK_DELIVERIES, workspace=workspace, webhook_id=webhook_id))


def prune(tx: Transaction, before: int, limit: int) -> int:
    """Delete up to `limit` attempts made before `before`; return how many."""
    return tx.execute(PRUNE_WEBHOOK_DELIVERIES, before=before, limit=limit)


def queue(tx: Transaction, cap: int) -> list[tuple[bool, bool, int, int | None]]:
    """Every endpoint of every workspace: (enabled, failing, events yet to go through, counted up
    to `cap`, when the first of them was recorded)."""
    return [
        (bool(enabled), bool(failing), int(backlog), oldest_at)
        for enabled, failing, backlog, oldest_at in tx.tuples(WEBHOOK_QUEUE, cap=cap)
    ]


def _types_text(types: frozenset[str] | None) -> str | None:
    return None if types is None else json.dumps(sorted(types))


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        url=row.url,
        event_types=None if row.event_types is None else frozenset(json.loads(row.event_types)),
        description=row.description,
        enabled=bool(row.enabled),
        disabled_reason=row.disabled_reason,
        secret=row.secret,
        previous_secret=row.previous_secret,
        previous_secret_until=row.previous_secret_until,
        created_at=row.created_at,
        position=(int(row.position_seq), row.position_id),
        attempt=row.attempt,
        failing_since=row.failing_since,
        next_attempt_at=row.next_attempt_at,
        leased_by=row.leased_by,
    )
