"""Webhooks: add an endpoint (its secret shown once, with a copy button), see its recent
deliveries with their status codes and errors, send a test event, disable or enable it, rotate
its secret, delete it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from leadblock.console.web import (
    PREFIX,
    DatabaseDep,
    PostVisitorDep,
    Visitor,
    VisitorDep,
    new_router,
    render,
    see_other,
)
from leadblock.domain.records import Webhook
from leadblock.domain.webhooks import InvalidDestination
from leadblock.errors import InvalidInput
from leadblock.services import webhooks
from leadblock.services.blocklist import require_writer
from leadblock.services.webhook_delivery import Policy, send_test
from leadblock.storage.db import Database

router = new_router()
RECENT_DELIVERIES = 50


@router.get("/webhooks")
def webhooks_page(
    request: Request, visitor: VisitorDep, database: DatabaseDep, deleted: str | None = None
) -> Response:
    notice = "The webhook was deleted." if deleted else None
    return _list_page(request, visitor, database, notice=notice)


@router.post("/webhooks")
async def add_webhook(
    request: Request,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
) -> Response:
    require_writer(visitor.caller)
    policy: Policy = request.app.state.webhook_policy
    limit = request.app.state.settings.webhook_limit
    try:
        try:
            destination = await policy.vet(url.strip())
        except InvalidDestination as refused:
            raise InvalidInput(f"Invalid URL: {refused}.") from None
        types = webhooks.event_types(events)

        def create() -> Webhook:
            with database.transaction(write=True) as tx:
                return webhooks.create_webhook(
                    tx, visitor.caller, destination, types, description or None, limit
                )

        webhook = await run_in_threadpool(create)
    except InvalidInput as error:
        return await run_in_threadpool(
            _list_page,
            request,
            visitor,
            database,
            status_code=400,
            add_error=error.message,
            add_url=url,
            add_description=description,
            add_events=events or [],
        )
    # Shown once, on this answer only (never stored, never cached: Cache-Control no-store).
    return render(request, "webhook_secret.html", visitor, webhook=webhook, rotated=False)


@router.get("/webhooks/{webhook_id}")
def webhook_page(
    request: Request,
    visitor: VisitorDep,
    database: DatabaseDep,
    webhook_id: str,
    done: str | None = None,
) -> Response:
    with database.transaction() as tx:
        webhook = webhooks.get_webhook(tx, visitor.caller, webhook_id)
        log = webhooks.list_deliveries(
            tx, visitor.caller, webhook_id, limit=RECENT_DELIVERIES, cursor=None
        )
    notices = {
        "enabled": "Deliveries resume at the first event it has not had.",
        "disabled": "Deliveries are stopped; events wait for it to be enabled again.",
    }
    test = log.items[0] if done == "tested" and log.items else None
    return render(
        request,
        "webhook.html",
        visitor,
        webhook=webhook,
        deliveries=log.items,
        total=log.total,
        notice=notices.get(done or ""),
        test=test,
    )


@router.post("/webhooks/{webhook_id}/test")
async def test_webhook(
    request: Request, webhook_id: str, visitor: PostVisitorDep, database: DatabaseDep
) -> Response:
    require_writer(visitor.caller)
    webhook = await run_in_threadpool(_webhook, database, visitor, webhook_id)
    await send_test(
        database,
        request.app.state.group_commit,
        request.app.state.webhook_policy,
        visitor.caller.workspace,
        webhook,
    )
    return see_other(f"{PREFIX}/webhooks/{webhook.id}?done=tested")


@router.post("/webhooks/{webhook_id}/enabled")
def set_enabled(
    webhook_id: str,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    on = enabled == "true"
    with database.transaction(write=True) as tx:
        webhooks.update_webhook(tx, visitor.caller, webhook_id, enabled=on)
    return see_other(f"{PREFIX}/webhooks/{webhook_id}?done={'enabled' if on else 'disabled'}")


@router.post("/webhooks/{webhook_id}/rotate-secret")
def rotate_secret(
    request: Request, webhook_id: str, visitor: PostVisitorDep, database: DatabaseDep
) -> Response:
    with database.transaction(write=True) as tx:
        webhook = webhooks.rotate_secret(tx, visitor.caller, webhook_id)
    return render(request, "webhook_secret.html", visitor, webhook=webhook, rotated=True)


@router.post("/webhooks/{webhook_id}/delete")
def delete_webhook(webhook_id: str, visitor: PostVisitorDep, database: DatabaseDep) -> Response:
    with database.transaction(write=True) as tx:
        webhooks.delete_webhook(tx, visitor.caller, webhook_id)
    return see_other(f"{PREFIX}/webhooks?deleted=1")


def _webhook(database: Database, visitor: Visitor, webhook_id: str) -> Webhook:
    with database.transaction() as tx:
        return webhooks.get_webhook(tx, visitor.caller, webhook_id)


def _list_page(
    request: Request,
    visitor: Visitor,
    database: Database,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    with database.transaction() as tx:
        endpoints = webhooks.list_webhooks(tx, visitor.caller)
    return render(
        request,
        "webhooks.html",
        visitor,
        status_code=status_code,
        endpoints=endpoints,
        event_types=webhooks.EVENT_TYPES,
        **context,
    )
