"""The `leadblock` command as an operator runs it, against the same database as the server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from tests.server import LEADBLOCK, Server


def run(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEADBLOCK_DATABASE_URL": database_url}
    return subprocess.run(
        [LEADBLOCK, *args], env=env, capture_output=True, text=True, check=check, timeout=60
    )


def test_workspace_and_keys_lifecycle(server: Server, database_url: str) -> None:
    created = json.loads(run(database_url, "workspace", "create", "Acme Agency", "--json").stdout)
    assert set(created) == {"workspaceId", "apiKey"}
    workspace_id, first_key = created["workspaceId"], created["apiKey"]
    listed = json.loads(run(database_url, "workspace", "list", "--json").stdout)
    assert {"id": workspace_id, "name": "Acme Agency"}.items() <= next(
        w for w in listed if w["id"] == workspace_id
    ).items()

    reader = json.loads(
        run(
            database_url,
            "key",
            "create",
            "--workspace",
            workspace_id,
            "--read-only",
            "--name",
            "integrator",
            "--json",
        ).stdout
    )
    assert set(reader) == {"keyId", "apiKey"}
    api = f"{server.api}/blocked-leads"
    write = httpx.post(
        api, headers={"x-api-key": reader["apiKey"]}, json={"leads": [{"publicIdentifier": "abc"}]}
    )
    assert write.status_code == 403
    assert httpx.get(api, headers={"x-api-key": reader["apiKey"]}).status_code == 200

    keys = run(database_url, "key", "list", "--workspace", workspace_id).stdout
    assert reader["keyId"] in keys
    assert reader["apiKey"] not in keys
    assert first_key not in keys

    run(database_url, "key", "revoke", reader["keyId"])
    # Revocation takes effect on the server's very next request.
    assert httpx.get(api, headers={"x-api-key": reader["apiKey"]}).status_code == 401
    assert httpx.get(api, headers={"x-api-key": first_key}).status_code == 200


def test_import_and_export_files(server: Server, database_url: str, tmp_path: Path) -> None:
    workspace_id = json.loads(run(database_url, "workspace", "create", "io", "--json").stdout)[
        "workspaceId"
    ]
    source = tmp_path / "leads.csv"
    source.write_text(
        "publicIdentifier,reason\nhttps://www.linkedin.com/in/cli-one/,crm\ncli-two,\n",
        encoding="utf-8",
    )
    imported = run(database_url, "import", str(source), "--workspace", workspace_id)
    assert "2 blocked" in imported.stdout
    target = tmp_path / "out.csv"
    run(database_url, "export", "--workspace", workspace_id, "-o", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "publicIdentifier,reason,createdAt,id"
    assert [line.split(",")[:2] for line in lines[1:]] == [["cli-one", "crm"], ["cli-two", ""]]
    to_stdout = run(database_url, "export", "--workspace", workspace_id).stdout
    assert to_stdout.replace("\r\n", "\n") == target.read_text(encoding="utf-8").replace(
        "\r\n", "\n"
    )

    bad = tmp_path / "bad.csv"
    bad.write_text("publicIdentifier\nok-lead\n@handle\n", encoding="utf-8")
    failed = run(database_url, "import", str(bad), "--workspace", workspace_id, check=False)
    assert failed.returncode == 4
    assert "handle" in failed.stderr
    missing = run(database_url, "export", "--workspace", "nope", check=False)
    assert missing.returncode == 3


def test_migrate_is_idempotent(database_url: str) -> None:
    assert run(database_url, "migrate").returncode == 0
    assert run(database_url, "migrate").returncode == 0


def test_workspace_delete_erases_every_row_and_only_that_workspace(
    server: Server, database_url: str
) -> None:
    def workspace_with_data(name: str) -> tuple[str, httpx.Client]:
        created = json.loads(run(database_url, "workspace", "create", name, "--json").stdout)
        client = httpx.Client(base_url=server.api, headers={"x-api-key": created["apiKey"]})
        leads = [{"publicIdentifier": f"{name}-{i}", "reason": "asked"} for i in range(3)]
        assert client.post("/blocked-leads", json={"leads": leads}).status_code == 200
        campaign = client.post("/campaigns", json={"name": "spring"}).json()["id"]
        block = {"publicIdentifiers": [f"{name}-campaign"]}
        assert client.post(f"/campaigns/{campaign}/blocked-leads", json=block).status_code == 200
        enrol = {"leads": [{"publicIdentifier": f"{name}-{i}"} for i in range(5)]}
        assert client.post(f"/campaigns/{campaign}/leads", json=enrol).status_code == 200
        return created["workspaceId"], client

    doomed, doomed_client = workspace_with_data("doomed")
    _kept, kept_client = workspace_with_data("kept")
    try:
        declined = run(database_url, "workspace", "delete", doomed, check=False)
        assert declined.returncode != 0  # no "y" on stdin: nothing happens
        assert doomed_client.get("/blocked-leads").headers["X-Total-Count"] == "3"

        deleted = json.loads(
            run(database_url, "workspace", "delete", doomed, "--yes", "--json").stdout
        )
        assert deleted == {
            "workspaceId": doomed,
            "deleted": {
                "events": 4,  # three workspace blocks and one campaign block
                "campaign-leads": 5,
                "campaign-blocks": 1,
                "campaigns": 1,
                "blocked-leads": 3,
                "blocked-lead-counts": 1,
                "api-keys": 1,
                "workspace": 1,
            },
        }
        assert doomed_client.get("/blocked-leads").status_code == 401
        assert doomed not in run(database_url, "workspace", "list").stdout
        assert kept_client.get("/blocked-leads").headers["X-Total-Count"] == "3"
        assert len(kept_client.get("/campaigns").json()) == 1

    finally:
        doomed_client.close()
        kept_client.close()

    missing = run(database_url, "workspace", "delete", doomed, "--yes", check=False)
    assert missing.returncode == 3
