"""Access logs: one JSON line per request with request id, workspace, key id, route, status
and duration; the request id comes back in a header; the API key never appears in the log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.fresh import fresh_sqlite_workspace
from tests.server import running_server


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
        assert len(generated) == 32
        refused = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": api_key + "x"})
        assert refused.status_code == 401
        bad_id = httpx.get(
            f"{server.api}/blocked-leads", headers={"X-Request-Id": "no spaces\tallowed"}
        )
        assert bad_id.headers["X-Request-Id"] != "no spaces\tallowed"
        crafted = api_key[:-4] + "AAAA"
        httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": crafted})

    text = log.read_text()
    assert api_key not in text
    assert crafted not in text
    assert "secret reason" not in text
    assert "logged-lead" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    by_id = {line["requestId"]: line for line in lines}
    assert by_id["trace-123"] == {
        "requestId": "trace-123",
        "method": "POST",
        "route": "/api/v1/blocked-leads",
        "status": 200,
        "workspaceId": workspace.id,
        "keyId": key.id,
        "durationMs": by_id["trace-123"]["durationMs"],
    }
    assert by_id[generated]["route"] == "/api/v1/blocked-leads/{lead_id}"
    assert by_id[generated]["keyId"] == key.id
    unauthenticated = [line for line in lines if line["status"] == 401]
    assert len(unauthenticated) == 3
    assert all("keyId" not in line for line in unauthenticated)
