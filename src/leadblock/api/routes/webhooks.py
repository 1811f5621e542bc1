"""`/api/v1/webhooks`: endpoints that receive every change of the workspace's blocks as it
happens, signed, in order."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadblock.api.paging import PAGED, Cursor, Limit, paged
from leadblock.api.schemas import (
    DeliveryOut,
    SuccessResponse,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookUpdate,
    patched,
)
from leadblock.api.unit import Reply, RequestUnit, Unit
from leadblock.domain.records import Caller
from leadblock.domain.webhooks import InvalidDestination
from leadblock.errors import InvalidInput, ItemError
from leadblock.services import webhooks
from leadblock.services.blocklist import UNCHANGED, require_writer
from leadblock.services.webhook_delivery import Policy, send_test
from leadblock.services.webhook_destinations import VettedDestination
from leadblock.services.webhooks import delivery_json, webhook_json
from leadblock.storage.db import Transaction
from leadblock.storage.group_commit import read_small
from leadblock.web.json_body import JsonBodyRoute
from leadblock.web.responses import OrjsonResponse

router = APIRouter(prefix="/webhooks", tags=["Webhooks"], route_class=JsonBodyRoute)


async def _vetted(request: Request, url: str) -> VettedDestination:
    """`url` vetted as a destination (resolved now), or a 400 saying why not."""
    policy: Policy = request.app.state.webhook_policy
    try:
        return await policy.vet(url)
    except InvalidDestination as refused:
        raise InvalidInput(
            f"Invalid url: {refused}.", [ItemError(0, url[:200], str(refused))]
        ) from None


async def _writer(unit: RequestUnit) -> Caller:
    """The verified caller, refused unless a writer: before any host is resolved for it."""
    caller = await unit.caller()
    require_writer(caller)
    return caller


@router.post("", response_model=WebhookCreated)
async def create_webhook(request: Request, body: WebhookIn, unit: Unit) -> Response:
    """Add an endpoint. It receives every event recorded from now on (of the types in
    `events`; all when absent), each POSTed once it is final, in the trail's order, signed
    with `secret`, which this answer shows once.

    The URL must be https (http only where the server allows it) and its host must resolve to
    public addresses only; it is checked again before every delivery."""
    await _writer(unit)
    destination = await _vetted(request, body.url)
    types = webhooks.event_types(body.events)
    limit = request.app.state.settings.webhook_limit

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        webhook = webhooks.create_webhook(tx, caller, destination, types, body.description, limit)
        return webhook_json(webhook, with_secret=True)

    return await unit.write(work)


@router.get("", response_model=list[WebhookOut])
async def list_webhooks(unit: Unit) -> Response:
    """The workspace's endpoints (at most 20 unless the server allows more), oldest first.
    Secrets are never listed."""

    def work(tx: Transaction, caller: Caller) -> list[dict[str, Any]]:
        return [webhook_json(webhook) for webhook in webhooks.list_webhooks(tx, caller)]

    return await unit.read(work)


@router.get("/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: str, unit: Unit) -> Response:
    return await unit.read(
        lambda tx, caller: webhook_json(webhooks.get_webhook(tx, caller, webhook_id))
    )


@router.patch("/{webhook_id}", response_model=WebhookOut)
async def update_webhook(
    request: Request, webhook_id: str, body: WebhookUpdate, unit: Unit
) -> Response:
    """Change what is given. `enabled: false` stops deliveries; `enabled: true` resumes them at
    the first event the endpoint has not had, at once. A new URL is checked as at creation."""
    changes = patched(body)
    destination = None
    if "url" in changes:
        await _writer(unit)
        destination = await _vetted(request, changes["url"])
    types = webhooks.event_types(changes["events"]) if "events" in changes else UNCHANGED
    description = changes.get("description", UNCHANGED)

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        webhook = webhooks.update_webhook(
            tx,
            caller,
            webhook_id,
            destination=destination,
            types=types,
            description=description,
            enabled=changes.get("enabled"),
        )
        return webhook_json(webhook)

    return await unit.write(work)


@router.delete("/{webhook_id}", response_model=SuccessResponse)
async def delete_webhook(webhook_id: str, unit: Unit) -> Response:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        webhooks.delete_webhook(tx, caller, webhook_id)
        return {"success": True, "message": "Webhook deleted."}

    return await unit.write(work)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated)
async def rotate_webhook_secret(webhook_id: str, unit: Unit) -> Response:
    """A new secret, shown once in this answer. For 24 hours every delivery is signed with
    both the new and the previous secret (two signatures in `webhook-signature`), so the
    receiver can switch at its own pace."""

    def work(tx: Transaction, caller: Caller) -> dict[str, Any]:
        return webhook_json(webhooks.rotate_secret(tx, caller, webhook_id), with_secret=True)

    return await unit.write(work)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut], responses=PAGED)
async def list_webhook_deliveries(
    request: Request, webhook_id: str, unit: Unit, limit: Limit = 100, cursor: Cursor = None
) -> Response:
    """The endpoint's delivery attempts, newest first, one per attempt (kept 30 days unless
    the server says otherwise). While an event waits to be tried again, the first page starts
    with that next attempt, `pending`."""

    def work(tx: Transaction, caller: Caller) -> Reply:
        page = webhooks.list_deliveries(tx, caller, webhook_id, limit=limit, cursor=cursor)
        return paged(
            [delivery_json(delivery) for delivery in page.items],
            page.total,
            page.next_cursor,
            request,
        )

    return await unit.read(work)


@router.post("/{webhook_id}/test", response_model=DeliveryOut)
async def test_webhook(request: Request, webhook_id: str, unit: Unit) -> Response:
    """Send a `webhook.test` event to the endpoint now (enabled or not) and answer the
    attempt: its status, the receiver's HTTP status, or the error. It is logged with the
    deliveries and moves nothing in the endpoint's queue."""
    caller = await _writer(unit)
    webhook = await read_small(
        unit.database, lambda tx: webhooks.get_webhook(tx, caller, webhook_id)
    )
    state = request.app.state
    delivery = await send_test(
        unit.database, unit.group_commit, state.webhook_policy, caller.workspace, webhook
    )
    return unit.respond(OrjsonResponse(delivery_json(delivery)))
