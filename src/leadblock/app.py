"""The ASGI application: the API and the web console, assembled over the shared web edge.

Requests pass, outermost first: the access log (which also counts them for /metrics), the
console's security headers, the address
rate limit (for what carries no key), the request guard (one key header, UTF-8 path and query,
body limits and timeout), then routing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from leadblock import __version__, metrics
from leadblock.api import idempotency, openapi
from leadblock.api.routes import (
    blocked_leads,
    campaigns,
    company_blocks,
    health,
    prometheus,
    reference,
    webhooks,
)
from leadblock.api.unit import UnitServices
from leadblock.config import Settings
from leadblock.console import web as console
from leadblock.console.session import SESSION_COOKIE
from leadblock.domain import ids
from leadblock.services import expiry
from leadblock.services.background import Foreground
from leadblock.services.webhook_delivery import Deliverer, Policy
from leadblock.storage.db import Database
from leadblock.storage.group_commit import GroupCommit
from leadblock.web.access_log import AccessLogMiddleware
from leadblock.web.direct import DirectHandler, DirectRoutesMiddleware
from leadblock.web.docs import install_docs
from leadblock.web.errors import error_response, install_error_handlers
from leadblock.web.guard import RequestGuardMiddleware
from leadblock.web.paths import API_PREFIX, CONSOLE_PREFIX
from leadblock.web.ratelimit import AddressRateLimitMiddleware, RateLimiter
from leadblock.web.responses import OrjsonResponse


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    chores = [
        asyncio.create_task(
            idempotency.prune_forever(state.database, state.group_commit, state.idempotency)
        ),
        asyncio.create_task(expiry.sweep_forever(state.database, state.group_commit)),
        asyncio.create_task(
            Deliverer(
                state.database, state.group_commit, state.webhook_policy, state.foreground
            ).run_forever()
        ),
    ]
    yield
    for chore in chores:
        chore.cancel()
    for chore in chores:
        with contextlib.suppress(asyncio.CancelledError):
            await chore
    await state.database.close()


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="leadblock",
        version=__version__,
        description=openapi.DESCRIPTION,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry bridge asks the global providers on every request
        # (3.6% of a single check's time on the event loop); leadblock does not use it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    ids.set_clock_offset(settings.clock_offset_s * 1000)
    app.state.database = database = database or Database(settings)
    app.state.rate_limiter = RateLimiter(
        limit=settings.rate_limit,
        auth_failure_limit=settings.auth_failure_rate_limit,
        redis_url=settings.redis_url,
    )
    # SQLite writes of concurrent requests share one transaction and one fsync; PostgreSQL
    # groups the commits of its connections itself.
    app.state.group_commit = (
        GroupCommit(database, settings.db_busy_timeout_ms / 1000)
        if database.dialect == "sqlite"
        else None
    )
    app.state.idempotency = idempotency.Idempotency(settings.idempotency_hours)
    app.state.webhook_policy = Policy.from_settings(settings)
    app.state.foreground = Foreground()
    app.state.unit_services = UnitServices(
        database,
        app.state.rate_limiter,
        app.state.group_commit,
        app.state.idempotency,
        app.state.foreground,
    )
    for router in (blocked_leads.router, company_blocks.router, campaigns.router, webhooks.router):
        app.include_router(
            router,
            prefix=API_PREFIX,
            responses=openapi.ERROR_RESPONSES,
            generate_unique_id_function=openapi.operation_id,
        )
    app.include_router(health.router)
    if settings.metrics:
        metrics.enable()
        app.include_router(prometheus.router)
    if settings.reference_routes:
        app.include_router(reference.router)
    console.install(app)
    install_docs(app)
    install_error_handlers(app)
    openapi.install(app)
    app.add_middleware(
        DirectRoutesMiddleware,
        handlers=_direct_handlers(blocked_leads.router, blocked_leads.DIRECT),
        exception_handlers=app.exception_handlers,
    )
    app.add_middleware(
        RequestGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        body_timeout_s=settings.body_timeout_s,
        answer_error=_error_answer,
    )
    app.add_middleware(
        AddressRateLimitMiddleware, limiter=app.state.rate_limiter, session_cookie=SESSION_COOKIE
    )
    app.add_middleware(console.ConsoleHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
    return app


def _direct_handlers(
    router: APIRouter, direct: Mapping[Callable[..., Any], DirectHandler]
) -> dict[tuple[str, str], tuple[BaseRoute, DirectHandler]]:
    """(method, path) → (route, its direct handler), for the routes of `router` that have one."""
    return {
        (method, API_PREFIX + route.path): (route, direct[route.endpoint])
        for route in router.routes
        if isinstance(route, APIRoute) and route.endpoint in direct
        for method in route.methods or ()
    }


def _error_answer(scope: Scope, status: int, message: str) -> Response:
    """A refusal before routing: a console page on the console's paths, JSON elsewhere."""
    if scope["path"].startswith(CONSOLE_PREFIX):
        return console.error_page(scope, status, message)
    return error_response(status, message)
