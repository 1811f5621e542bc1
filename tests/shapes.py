"""Exact expectations for answers: the whole answer is compared, and the few values no test can
know in advance (record ids, timestamps, cursors) only by their shape."""

from __future__ import annotations

import re
from typing import Any

RECORD_ID = re.compile(r"[0-9a-f]{32}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
CURSOR = re.compile(r"[A-Za-z0-9_-]+")


def shaped(value: Any, shape: re.Pattern[str]) -> str:
    """`value`, after checking that it is a string of exactly that shape."""
    assert isinstance(value, str), value
    assert shape.fullmatch(value), value
    return value


def error(code: str, message: str, *items: dict[str, Any]) -> dict[str, Any]:
    """The error envelope, whole."""
    return {"success": False, "code": code, "message": message, "errors": list(items)}


def item(index: int, value: Any, message: str) -> dict[str, Any]:
    """One entry of an error envelope's `errors`."""
    return {"index": index, "value": value, "message": message}


def request_error(message: str) -> dict[str, Any]:
    """A 400 for a query parameter or the body as a whole: one entry, at index -1, whose message
    is the envelope's."""
    return error("invalid_input", message, item(-1, None, message))


def blocked_lead(
    lead: dict[str, Any],
    identifier: str,
    reason: str | None,
    workspace_id: str,
    expires_at: str | None = None,
) -> dict[str, Any]:
    """The record `lead` must be: its identifier, reason, workspace and expiry, with an id and
    a createdAt of the right shape."""
    return {
        "id": shaped(lead["id"], RECORD_ID),
        "publicIdentifier": identifier,
        "reason": reason,
        "createdAt": shaped(lead["createdAt"], TIMESTAMP),
        "workspaceId": workspace_id,
        "expiresAt": expires_at,
    }


def block_answer(
    leads: list[dict[str, Any]],
    *,
    blocked: int,
    already: int = 0,
    duplicates: int = 0,
    extended: int = 0,
) -> dict[str, Any]:
    """The answer of `POST /blocked-leads`, whole: its counts and its records, in order."""
    return {
        "success": True,
        "message": f"{blocked} lead(s) blocked.",
        "blocked": blocked,
        "alreadyBlocked": already,
        "extended": extended,
        "duplicates": duplicates,
        "leads": leads,
    }


def check_answer(*results: dict[str, Any]) -> dict[str, Any]:
    """The answer of `/blocked-leads/check`, whole."""
    return {"success": True, "results": list(results)}


def free(value: str, identifier: str | None = None) -> dict[str, Any]:
    """A check result: `value` (canonically `identifier`, by default itself) is not blocked."""
    return {
        "input": value,
        "publicIdentifier": identifier or value,
        "blocked": False,
        "scope": None,
        "reason": None,
        "blockedAt": None,
        "expiresAt": None,
        "contactable": True,
    }


def blocked_by(value: str, lead: dict[str, Any]) -> dict[str, Any]:
    """A check result: `value` is blocked for the workspace by `lead` (a blocked-lead record)."""
    return {
        "input": value,
        "publicIdentifier": lead["publicIdentifier"],
        "blocked": True,
        "scope": "workspace",
        "reason": lead["reason"],
        "blockedAt": lead["createdAt"],
        "expiresAt": lead["expiresAt"],
        "contactable": False,
    }
