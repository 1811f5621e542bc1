"""The `leadblock` command as an operator runs it, against the same database as the server."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import httpx

from leadblock.storage.db import Database
from leadblock.storage.migrate import HEAD_REVISION
from tests.receiver import Receiver
from tests.server import LEADBLOCK, Server
from tests.shapes import RECORD_ID, TIMESTAMP, error, shaped

API_KEY = re.compile(r"lb_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


def run(
    database_url: str, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEADBLOCK_DATABASE_URL": database_url, **(env or {})}
    # Nothing on stdin: a command that asks for confirmation is answered "no" at once.
    return subprocess.run(
        [LEADBLOCK, *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_workspace_and_keys_lifecycle(server: Server, database_url: str) -> None:
    created = json.loads(run(database_url, "workspace", "create", "Acme Agency", "--json").stdout)
    assert created == {
        "workspaceId": shaped(created["workspaceId"], RECORD_ID),
        "apiKey": shaped(created["apiKey"], API_KEY),
    }
    workspace_id, first_key = created["workspaceId"], created["apiKey"]
    # Other tests share the database: this workspace's entry, whole.
    listed = json.loads(run(database_url, "workspace", "list", "--json").stdout)
    [entry] = [w for w in listed if w["id"] == workspace_id]
    assert entry == {
        "id": workspace_id,
        "name": "Acme Agency",
        "createdAt": shaped(entry["createdAt"], TIMESTAMP),
    }

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
    key_match = API_KEY.fullmatch(reader["apiKey"])
    assert key_match
    assert reader == {"keyId": key_match.group(1), "apiKey": reader["apiKey"]}
    api = f"{server.api}/blocked-leads"
    write = httpx.post(
        api, headers={"x-api-key": reader["apiKey"]}, json={"leads": [{"publicIdentifier": "abc"}]}
    )
    assert write.status_code == 403
    assert write.json() == error("forbidden", "This API key is read-only.")
    read = httpx.get(api, headers={"x-api-key": reader["apiKey"]})
    assert read.status_code == 200
    assert read.json() == []

    # Key ids, roles, states and names; never a key itself.
    first_key_id = first_key.split("_")[1]
    keys = run(database_url, "key", "list", "--workspace", workspace_id).stdout
    assert keys == (
        f"{first_key_id}  read-write  active   first key\n"
        f"{reader['keyId']}  read-only   active   integrator\n"
    )

    run(database_url, "key", "revoke", reader["keyId"])
    # Revocation takes effect on the server's very next request.
    revoked = httpx.get(api, headers={"x-api-key": reader["apiKey"]})
    assert revoked.status_code == 401
    assert revoked.json() == error("unauthenticated", "Invalid or revoked API key.")
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
    assert imported.stdout == "2 rows: 2 blocked, 0 already blocked (0 extended), 0 duplicates.\n"
    assert imported.stderr == ""  # no progress bar when stderr is not a terminal
    target = tmp_path / "out.csv"
    run(database_url, "export", "--workspace", workspace_id, "-o", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "publicIdentifier,reason,createdAt,id,expiresAt"
    assert [line.split(",")[:2] for line in lines[1:]] == [["cli-one", "crm"], ["cli-two", ""]]
    assert [line.split(",")[4] for line in lines[1:]] == ["", ""]
    to_stdout = run(database_url, "export", "--workspace", workspace_id).stdout
    assert to_stdout.replace("\r\n", "\n") == target.read_text(encoding="utf-8").replace(
        "\r\n", "\n"
    )

    bad = tmp_path / "bad.csv"
    bad.write_text("publicIdentifier\nok-lead\n@handle\n", encoding="utf-8")
    failed = run(database_url, "import", str(bad), "--workspace", workspace_id, check=False)
    assert failed.returncode == 4
    # "row" counts data rows from 0 (the API's index).
    assert failed.stderr == (
        "error: 1 invalid row; nothing was written.\n"
        "  row 2: line 3: publicIdentifier is a handle; send the bare public identifier "
        "without '@'\n"
    )
    assert failed.stdout == ""
    missing = run(database_url, "export", "--workspace", "nope", check=False)
    assert missing.returncode == 3
    assert (missing.stdout, missing.stderr) == ("", "error: Workspace nope does not exist.\n")


def test_company_blocks_import_and_export(
    server: Server, database_url: str, tmp_path: Path
) -> None:
    workspace_id = json.loads(run(database_url, "workspace", "create", "co", "--json").stdout)[
        "workspaceId"
    ]
    source = tmp_path / "companies.csv"
    source.write_text(
        "kind,value,name,reason,expiresAt\n"
        "domain,jane@ACME.com,Acme,client,\n"
        "linkedinCompany,https://www.linkedin.com/company/globex/,,partner,2099-01-01T00:00:00Z\n"
        "domain,www.acme.com,,,\n",
        encoding="utf-8",
    )
    args = ("company-block", "import", str(source), "--workspace", workspace_id)
    imported = run(database_url, *args)
    assert imported.stdout == "3 rows: 2 blocked, 0 already blocked (0 extended), 1 duplicates.\n"
    target = tmp_path / "out.csv"
    run(database_url, "company-block", "export", "--workspace", workspace_id, "-o", str(target))
    rows = list(csv.reader(target.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["kind", "value", "name", "reason", "expiresAt", "createdAt", "id"]
    assert sorted(row[:5] for row in rows[1:]) == [
        ["domain", "acme.com", "Acme", "client", ""],
        ["linkedinCompany", "globex", "", "partner", "2099-01-01T00:00:00.000Z"],
    ]
    again = run(database_url, *args[:2], str(target), "--workspace", workspace_id)
    assert again.stdout == "2 rows: 0 blocked, 2 already blocked (0 extended), 0 duplicates.\n"
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,value\ndomain,localhost\n", encoding="utf-8")
    failed = run(database_url, *args[:2], str(bad), "--workspace", workspace_id, check=False)
    assert failed.returncode == 4
    assert failed.stderr == (
        "error: 1 invalid row; nothing was written.\n"
        "  row 1: line 2: domain needs a dot: a single label (such as 'localhost') is no "
        "domain\n"
    )


def test_migrate_is_idempotent(database_url: str) -> None:
    for _ in range(2):
        migrated = run(database_url, "migrate")
        assert (migrated.returncode, migrated.stdout, migrated.stderr) == (
            0,
            "Database is up to date.\n",
            "",
        )


def test_workspace_delete_erases_every_row_and_only_that_workspace(
    server: Server, database_url: str, receiver: Receiver
) -> None:
    def workspace_with_data(name: str) -> tuple[str, httpx.Client, dict[str, str]]:
        created = json.loads(run(database_url, "workspace", "create", name, "--json").stdout)
        client = httpx.Client(base_url=server.api, headers={"x-api-key": created["apiKey"]})
        leads = [{"publicIdentifier": f"{name}-{i}", "reason": "asked"} for i in range(3)]
        assert client.post("/blocked-leads", json={"leads": leads}).status_code == 200
        # Sent with an Idempotency-Key: its stored answer is the workspace's too.
        made = client.post(
            "/campaigns", json={"name": "spring"}, headers={"Idempotency-Key": "create-spring"}
        ).json()
        campaign = made["id"]
        block = {"publicIdentifiers": [f"{name}-campaign"]}
        assert client.post(f"/campaigns/{campaign}/blocked-leads", json=block).status_code == 200
        enrol = {"leads": [{"publicIdentifier": f"{name}-{i}"} for i in range(5)]}
        # One lead with a company: its two company keys (LinkedIn company and domain).
        enrol["leads"][0].update(companyLinkedIn=f"{name}-co", companyDomain=f"{name}.com")
        assert client.post(f"/campaigns/{campaign}/leads", json=enrol).status_code == 200
        company = {"companies": [{"domain": f"{name}-blocked.com"}]}
        assert client.post("/company-blocks", json=company).status_code == 200
        # A webhook made after every event, with one delivery in its log: the test event's.
        hook = client.post("/webhooks", json={"url": receiver.url(receiver.new_path())}).json()
        assert client.post(f"/webhooks/{hook['id']}/test").json()["status"] == "succeeded"
        record = {"id": campaign, "name": "spring", "createdAt": made["createdAt"]}
        return created["workspaceId"], client, record

    doomed, doomed_client, _doomed_campaign = workspace_with_data("doomed")
    _kept, kept_client, kept_campaign = workspace_with_data("kept")
    try:
        declined = run(database_url, "workspace", "delete", doomed, check=False)
        # No "y" on stdin: the question, then nothing happens.
        assert declined.returncode == 1
        assert declined.stderr == (
            f"Erase workspace {doomed} (doomed) and everything in it? This cannot be undone "
            "[y/N]:Aborted.\n"
        )
        assert doomed_client.get("/blocked-leads").headers["X-Total-Count"] == "3"

        deleted = json.loads(
            run(database_url, "workspace", "delete", doomed, "--yes", "--json").stdout
        )
        assert deleted == {
            "workspaceId": doomed,
            "deleted": {
                "webhook-deliveries": 1,
                "webhooks": 1,
                "events": 5,  # three workspace blocks, one campaign block, one company block
                "idempotency-keys": 1,
                "campaign-lead-companies": 2,
                "campaign-leads": 5,
                "campaign-blocks": 1,
                "campaigns": 1,
                "company-blocks": 1,
                "blocked-leads": 3,
                "blocked-lead-counts": 1,
                "api-keys": 1,
                "workspace": 1,
            },
        }
        gone = doomed_client.get("/blocked-leads")
        assert gone.status_code == 401
        assert gone.json() == error("unauthenticated", "Invalid or revoked API key.")
        assert doomed not in run(database_url, "workspace", "list").stdout
        assert kept_client.get("/blocked-leads").headers["X-Total-Count"] == "3"
        assert kept_client.get("/campaigns").json() == [kept_campaign]
        assert kept_client.get("/company-blocks").headers["X-Total-Count"] == "1"
        assert len(kept_client.get("/webhooks").json()) == 1

    finally:
        doomed_client.close()
        kept_client.close()

    missing = run(database_url, "workspace", "delete", doomed, "--yes", check=False)
    assert missing.returncode == 3
    assert missing.stderr == f"error: Workspace {doomed} does not exist.\n"


def test_webhooks_are_listed_created_and_deleted(
    server: Server, database_url: str, receiver: Receiver
) -> None:
    created = json.loads(run(database_url, "workspace", "create", "Hooks", "--json").stdout)
    workspace = created["workspaceId"]
    env = {
        "LEADBLOCK_WEBHOOK_ALLOW_HTTP": "true",
        "LEADBLOCK_WEBHOOK_ALLOWED_HOSTS": receiver.host_port,
    }
    path = receiver.new_path()
    made = json.loads(
        run(
            database_url,
            "webhook",
            "create",
            receiver.url(path),
            "--workspace",
            workspace,
            "--event",
            "blocked",
            "--event",
            "expired",
            "--description",
            "CRM",
            "--json",
            env=env,
        ).stdout
    )
    assert made["secret"].startswith("whsec_")
    assert (made["url"], made["events"], made["description"]) == (
        receiver.url(path),
        ["blocked", "expired"],
        "CRM",
    )
    listed = json.loads(
        run(database_url, "webhook", "list", "--workspace", workspace, "--json").stdout
    )
    assert listed == [{k: v for k, v in made.items() if k != "secret"}]
    # The server delivers to what the CLI created.
    receiver.verify_with(path, made["secret"])
    api = httpx.Client(base_url=server.api, headers={"x-api-key": created["apiKey"]})
    with api:
        api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "cli-hooked"}]})
        [item] = receiver.wait_for(path, 1)
    assert item.verified
    assert item.payload["data"]["publicIdentifier"] == "cli-hooked"

    refused = run(
        database_url,
        "webhook",
        "create",
        "https://10.0.0.1/",
        "--workspace",
        workspace,
        check=False,
    )
    assert refused.returncode == 4
    assert "10.0.0.1 is a private address" in refused.stderr
    unknown_type = run(
        database_url,
        "webhook",
        "create",
        receiver.url(path),
        "--workspace",
        workspace,
        "--event",
        "deleted",
        check=False,
        env=env,
    )
    assert unknown_type.returncode == 4
    assert "Unknown event type 'deleted'" in unknown_type.stderr

    deleted = run(database_url, "webhook", "delete", made["id"], "--workspace", workspace)
    assert deleted.stdout == f"Webhook {made['id']} deleted.\n"
    assert run(database_url, "webhook", "list", "--workspace", workspace).stdout.strip() == ""
    again = run(
        database_url, "webhook", "delete", made["id"], "--workspace", workspace, check=False
    )
    assert again.returncode == 3
    assert "Webhook not found." in again.stderr


def test_doctor_prints_each_check_and_fails_on_a_problem(
    database: Database, tmp_path: Path
) -> None:
    database_url = database.url  # migrated
    healthy = run(database_url, "doctor", check=False)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    lines = healthy.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    settings",
        "ok    database",
        "ok    schema",
        "ok    queries",
    ]
    password = re.search(r"//[^:/@]+:([^@]+)@", database_url)
    if password:
        assert password.group(1) not in healthy.stdout  # never the database's password

    bad_setting = run(database_url, "doctor", check=False, env={"LEADBLOCK_RATE_LIMIT": "lots"})
    assert bad_setting.returncode == 1
    assert bad_setting.stdout.startswith("FAIL  settings: LEADBLOCK_RATE_LIMIT: ")
    bad_host = run(
        database_url, "doctor", check=False, env={"LEADBLOCK_WEBHOOK_ALLOWED_HOSTS": "crm"}
    )
    assert bad_host.returncode == 1
    assert "FAIL  settings: LEADBLOCK_WEBHOOK_ALLOWED_HOSTS entry 'crm' is not a host:port" in (
        bad_host.stdout
    )

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    unmigrated = run(empty, "doctor", check=False)
    assert unmigrated.returncode == 1
    assert unmigrated.stdout.splitlines()[-1] == (
        "FAIL  schema: none yet: run `leadblock migrate` (or `leadblock serve`)"
    )
    unreachable = run("postgresql://leadblock:s3cret@127.0.0.1:1/leadblock", "doctor", check=False)
    assert unreachable.returncode == 1
    assert unreachable.stdout.splitlines()[-1].startswith(
        "FAIL  database: postgresql://leadblock:***@127.0.0.1:1/leadblock does not answer: "
    )
    assert "s3cret" not in unreachable.stdout + unreachable.stderr


def test_doctor_finds_a_schema_of_another_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    run(url, "migrate")
    assert run(url, "doctor", check=False).returncode == 0
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0011'")
    outdated = run(url, "doctor", check=False)
    assert outdated.returncode == 1
    assert outdated.stdout.splitlines()[-1] == (
        f"FAIL  schema: at 0011, this version needs {HEAD_REVISION}: run `leadblock migrate`"
    )
