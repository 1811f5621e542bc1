"""Access logs: one JSON line per request with request id, workspace, key id, route, status
and duration; the request id comes back in a header; the API key never appears in the log."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.fresh import fresh_sqlite_workspace
from tests.server import running_server

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def duration(line: dict[str, Any]) -> float:
    """A line's durationMs, after checking it is a duration: the one value time decides."""
    value = line["durationMs"]
    assert isinstance(value, int | float), line
    assert value >= 0, line
    return value


def test_one_json_line_per_request_and_never_the_key(tmp_path: Path) -> None:
    url, workspace, key, api_key = fresh_sqlite_workspace(tmp_path / "logs.db", "logs")
    log = tmp_path / "server.log"
    with running_server(url, log) as server:
        headers = {"x-api-key": api_key, "X-Request-Id": "trace-123"}
        body = {"leads": [{"publicIdentifier": "logged-lead", "reason": "secret reason"}]}
        created = httpx.post(f"{server.api}/blocked-leads", json=body, headers=headers)
        assert created.headers["X-Request-Id"] == "trace-123"
        lead_id = created.json()["leads"][0]["id"]
        fetched = httpx.get(f"{server.api}/blocked-leads/{lead_id}", headers={"x-api-key": api_key})
        generated = fetched.headers["X-Request-Id"]
        assert GENERATED_ID.fullmatch(generated), generated
        refused = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": api_key + "x"})
        assert refused.status_code == 401
        bad_id = httpx.get(
            f"{server.api}/blocked-leads", headers={"X-Request-Id": "no spaces\tallowed"}
        )
        assert bad_id.status_code == 401
        # Not one a client may set: replaced by one of the server's own.
        replaced = bad_id.headers["X-Request-Id"]
        assert GENERATED_ID.fullmatch(replaced), replaced
        crafted = api_key[:-4] + "AAAA"
        forged = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": crafted})
        assert forged.status_code == 401
        # Served by its direct route (web/direct.py): logged as any other.
        checked = httpx.get(
            f"{server.api}/blocked-leads/check?publicIdentifier=logged-lead",
            headers={"x-api-key": api_key, "X-Request-Id": "trace-check"},
        )
        assert checked.json()["results"][0]["blocked"] is True

    text = log.read_text()
    assert api_key not in text
    assert crafted not in text
    assert "secret reason" not in text
    assert "logged-lead" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    # One line per request, in the order they were answered: first the readiness probe of
    # tests/server.py (`GET /openapi.json`, which FastAPI serves outside its API routes).
    probe, *answered = lines
    assert probe == {
        "requestId": probe["requestId"],
        "method": "GET",
        "status": 200,
        "route": "/openapi.json",
        "durationMs": duration(probe),
    }
    assert GENERATED_ID.fullmatch(probe["requestId"]), probe
    assert answered == [
        {
            "requestId": "trace-123",
            "method": "POST",
            "route": "/api/v1/blocked-leads",
            "status": 200,
            "workspaceId": workspace.id,
            "keyId": key.id,
            "durationMs": duration(answered[0]),
        },
        {
            "requestId": generated,
            "method": "GET",
            "route": "/api/v1/blocked-leads/{lead_id}",
            "status": 200,
            "workspaceId": workspace.id,
            "keyId": key.id,
            "durationMs": duration(answered[1]),
        },
        # Refused keys: no workspace, no key id (not even the one a wrong key names).
        *(
            {
                "requestId": request_id,
                "method": "GET",
                "route": "/api/v1/blocked-leads",
                "status": 401,
                "durationMs": duration(line),
            }
            for request_id, line in zip(
                [refused.headers["X-Request-Id"], replaced, forged.headers["X-Request-Id"]],
                answered[2:5],
                strict=True,
            )
        ),
        {
            "requestId": "trace-check",
            "method": "GET",
            "route": "/api/v1/blocked-leads/check",
            "status": 200,
            "workspaceId": workspace.id,
            "keyId": key.id,
            "durationMs": duration(answered[5]),
        },
    ]
