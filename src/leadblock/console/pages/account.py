"""Signing in and out with an API key, and the workspace's API keys."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from leadblock.console.session import SESSION_COOKIE, SIGN_IN_COOKIE
from leadblock.console.web import (
    PREFIX,
    DatabaseDep,
    PostVisitorDep,
    SignInRequired,
    VisitorDep,
    current_visitor,
    limiter_of,
    new_router,
    render,
    require_csrf,
    see_other,
    signer_of,
)
from leadblock.errors import NotAuthenticated
from leadblock.services import keys, sessions
from leadblock.web.ratelimit import client_address

router = new_router()


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    try:
        await current_visitor(request)
        return see_other(f"{PREFIX}/blocklist")
    except SignInRequired:
        return _sign_in_form(request)


@router.post("/sign-in")
async def sign_in(
    request: Request, database: DatabaseDep, api_key: Annotated[str, Form()] = ""
) -> Response:
    await require_csrf(request, request.cookies.get(SIGN_IN_COOKIE))
    limiter, address, plain = limiter_of(request), client_address(request.scope), api_key.strip()
    limiter.refuse_failing_address(address, plain)
    try:
        caller = await run_in_threadpool(keys.authenticate, database, plain)
    except NotAuthenticated as error:
        limiter.charge_failure(address)
        return _sign_in_form(request, error=error.message, status_code=401)
    limiter.remember_verified(plain)
    if caller.key_id is None:  # only the CLI acts without a key
        return _sign_in_form(request, error="Sign in with an API key.", status_code=401)
    signer = signer_of(request)
    cookie = signer.issue(caller.key_id)
    response = see_other(f"{PREFIX}/blocklist")
    _set_cookie(response, request, SESSION_COOKIE, cookie, int(signer.lifetime_s))
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
def sign_out(visitor: PostVisitorDep, database: DatabaseDep) -> Response:
    with database.transaction(write=True) as tx:
        sessions.sign_out(tx, visitor.session.nonce, visitor.session.expires_at)
    response = see_other(f"{PREFIX}/sign-in")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/keys")
def keys_page(request: Request, visitor: VisitorDep, database: DatabaseDep) -> Response:
    with database.transaction() as tx:
        workspace_keys = keys.workspace_keys(tx, visitor.caller)
    return render(request, "keys.html", visitor, keys=workspace_keys)


@router.post("/keys")
def create_key(
    request: Request,
    visitor: PostVisitorDep,
    database: DatabaseDep,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "read-write",
) -> Response:
    with database.transaction(write=True) as tx:
        key, plain = keys.issue_key(tx, visitor.caller, name=name, read_only=role == "read-only")
    # Shown once, on this answer only (never stored, never cached: Cache-Control no-store).
    return render(request, "key_created.html", visitor, key=key, plain=plain)


@router.post("/keys/{key_id}/revoke")
def revoke_key(key_id: str, visitor: PostVisitorDep, database: DatabaseDep) -> Response:
    with database.transaction(write=True) as tx:
        keys.revoke_workspace_key(tx, visitor.caller, key_id)
    return see_other(f"{PREFIX}/keys")


def _sign_in_form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    """The sign-in form, with a CSRF token tied to a nonce cookie of its own."""
    signer = signer_of(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(16)
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status_code,
        csrf=signer.csrf_token(nonce),
        error=error,
    )
    _set_cookie(response, request, SIGN_IN_COOKIE, nonce, 3600)
    return response


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """A console cookie: never readable by scripts, never sent from another site, Secure over
    HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
