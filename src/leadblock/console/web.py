"""The console's plumbing: its router, templates, who is signed in, CSRF, errors and headers.

Pages live in `console/pages/`; each handler takes a `Visitor` (or `PostVisitor` for a form
that changes something), calls services, and renders a template. Errors of the services become
an HTML page with the status the API would answer; a missing, expired or revoked session sends
the browser to the sign-in page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadblock import errors
from leadblock.console.session import SESSION_COOKIE, Session, SessionSigner
from leadblock.domain.records import Caller, Workspace
from leadblock.services import sessions
from leadblock.storage.db import Database
from leadblock.web.access_log import note_caller
from leadblock.web.database import DatabaseDep as DatabaseDep
from leadblock.web.errors import answer_of
from leadblock.web.guard import undecodable_field
from leadblock.web.paths import CONSOLE_PREFIX
from leadblock.web.ratelimit import RateLimiter, client_address

logger = logging.getLogger("leadblock")
PREFIX = CONSOLE_PREFIX
HERE = Path(__file__).parent

# Every console answer, static files included. No inline script or style anywhere, so the
# policy needs no 'unsafe-inline'; htmx runs with eval off (see base.html).
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # Not no-referrer: with it, browsers send `Origin: null` on form posts, and the origin
    # check could not tell this console from a sandboxed attacker page.
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

templates = Jinja2Templates(directory=HERE / "templates")  # autoescape is on for .html


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _until(ms: int | None) -> str:
    """How long a block lasts, as the lists show it: "until 2027-03-01" or "—" (for ever)."""
    if ms is None:
        return "—"
    return "until " + datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


templates.env.filters["when"] = _when
templates.env.filters["until"] = _until


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class CsrfRefused(Exception):
    """A state-changing request without this session's token, or from another origin."""


@dataclass(frozen=True, slots=True)
class Visitor:
    caller: Caller
    workspace: Workspace
    session: Session
    csrf: str


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def signer_of(request: Request) -> SessionSigner:
    """The deployment's session signer, its secret read from the database once per process."""
    state = request.app.state
    if getattr(state, "console_signer", None) is None:
        secret = sessions.signing_secret(database_of(request))
        state.console_signer = SessionSigner(secret, state.settings.console_session_hours * 3600)
    signer: SessionSigner = state.console_signer
    return signer


def limiter_of(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def _visitor(request: Request) -> Visitor:
    """The signed-in visitor, charged to its key's rate limit once the session is verified;
    a request with a forged, expired or revoked session is charged to its address."""
    signer = signer_of(request)
    limiter = limiter_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = signer.read(cookie)
    if session is None:
        if cookie is not None:  # without one, the address was charged before routing
            limiter.charge_address(client_address(request.scope))
        raise SignInRequired
    try:
        with database_of(request).transaction() as tx:
            caller, workspace = sessions.session_caller(tx, session.key_id, session.nonce)
    except errors.NotAuthenticated:
        limiter.charge_address(client_address(request.scope))
        raise SignInRequired from None
    request.state.rate_headers = limiter.charge_key(session.key_id)
    note_caller(caller)
    return Visitor(caller, workspace, session, signer.csrf_token(session.nonce))


async def current_visitor(request: Request) -> Visitor:
    return await run_in_threadpool(_visitor, request)


async def posting_visitor(request: Request) -> Visitor:
    """The visitor of a state-changing request, which must carry the session's CSRF token (a
    form field or the X-CSRF-Token header) and come from this origin."""
    visitor = await current_visitor(request)
    await require_csrf(request, visitor.session.nonce)
    return visitor


async def require_csrf(request: Request, nonce: str | None) -> None:
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise CsrfRefused
    token = request.headers.get("x-csrf-token")
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        field = form.get("csrf_token")
        token = field if isinstance(field, str) else None
    if not signer_of(request).valid_csrf(nonce, token):
        raise CsrfRefused


VisitorDep = Annotated[Visitor, Depends(current_visitor)]
PostVisitorDep = Annotated[Visitor, Depends(posting_visitor)]


def render(
    request: Request,
    template: str,
    visitor: Visitor | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return templates.TemplateResponse(
        request, template, {"visitor": visitor, **context}, status_code=status_code
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class ConsoleRoute(APIRoute):
    """Answers a console request's failures as pages instead of the API's JSON envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                await _require_utf8_form(request)
                response = await handler(request)
                response.headers.update(getattr(request.state, "rate_headers", {}))
                return response
            except SignInRequired:
                response = see_other(f"{PREFIX}/sign-in")
                response.delete_cookie(SESSION_COOKIE, path=PREFIX)
                return response
            except CsrfRefused:
                message = "This form was not sent from this console page; reload it and retry."
                return _error_page(request, 403, message)
            except RequestValidationError:
                return _error_page(request, 400, "The form was incomplete or malformed.")
            except errors.RateLimited as error:
                response = _error_page(request, 429, error.message)
                response.headers.update(error.headers)
                return response
            except errors.LeadblockError as error:
                return _error_page(request, answer_of(error)[0], error.message)
            except HTTPException as error:  # the body was too large or too slow (408, 413)
                return _error_page(request, error.status_code, str(error.detail))
            except Exception:
                logger.exception("unexpected error on %s %s", request.method, request.url.path)
                return _error_page(request, 500, "Something went wrong here; it has been logged.")

        return console_handler


async def _require_utf8_form(request: Request) -> None:
    """A form whose fields do not percent-decode to UTF-8 is refused, not read as Latin-1
    (Starlette's fallback) and stored as mojibake."""
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return
    if undecodable_field(await request.body()) is not None:
        raise errors.InvalidInput("The form is not valid UTF-8.")


def error_page(scope: Scope, status: int, message: str) -> Response:
    """The console's error page for a request refused before routing (size, encoding)."""
    return _error_page(Request(scope), status, message)


def _error_page(request: Request, status: int, message: str) -> Response:
    response = render(
        request, "error.html", None, status_code=status, status=status, message=message
    )
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def new_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def install(app: FastAPI) -> None:
    from leadblock.console.pages import (
        account,
        audit,
        blocklist,
        campaigns,
        companies,
        transfer,
        webhooks,
    )

    # Static files first: the catch-all page below would otherwise answer their paths.
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    for module in (account, blocklist, companies, transfer, campaigns, audit, webhooks):
        app.include_router(module.router)
    missing = new_router()

    @missing.get("/{path:path}")
    def not_found(request: Request) -> Response:
        return _error_page(request, 404, "There is no such page in the console.")

    app.include_router(missing)


class ConsoleHeadersMiddleware:
    """Security headers on every console answer; pages are never cached (keys are shown)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(f"{PREFIX}/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
