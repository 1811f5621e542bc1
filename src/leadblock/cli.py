"""The `leadblock` command: serve, workspaces, keys, import/export, webhooks, migrate, doctor.

The database is the one LEADBLOCK_DATABASE_URL names (default sqlite:///./leadblock.db).
Errors print one line on stderr and exit with a code per error kind (see EXIT_CODES).
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol

import sqlalchemy
import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

from leadblock import errors
from leadblock.config import Settings
from leadblock.domain.records import Caller
from leadblock.domain.timestamps import iso
from leadblock.domain.webhooks import InvalidDestination
from leadblock.services import keys, transfer, webhooks, workspaces
from leadblock.services.webhook_destinations import vet
from leadblock.storage.db import Database
from leadblock.storage.migrate import HEAD_REVISION, migrate, schema_revision
from leadblock.web import connections

EXIT_CODES: dict[type[errors.LeadblockError], int] = {
    errors.InvalidInput: 4,
    errors.NotFound: 3,
    errors.ServiceUnavailable: 5,
}

app = typer.Typer(help="leadblock: the do-not-contact service for LinkedIn outreach.")
workspace_app = typer.Typer(help="Create and list workspaces.")
key_app = typer.Typer(help="Create, list and revoke API keys.")
app.add_typer(workspace_app, name="workspace")
app.add_typer(key_app, name="key")
company_app = typer.Typer(help="Import and export a workspace's company blocks.")
app.add_typer(company_app, name="company-block")
webhook_app = typer.Typer(help="List, create and delete a workspace's webhook endpoints.")
app.add_typer(webhook_app, name="webhook")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout")]
WorkspaceOption = Annotated[str, typer.Option("--workspace", help="Workspace id")]


def main() -> None:
    app()


@contextmanager
def _database() -> Iterator[Database]:
    database = Database(Settings())
    try:
        migrate(database)
        yield database
    except errors.LeadblockError as error:
        typer.echo(f"error: {error.message}", err=True)
        for item in getattr(error, "errors", [])[:20]:
            # `index` counts from 0, as in the API's `errors`; people count rows from 1.
            typer.echo(f"  row {item.index + 1}: {item.message}", err=True)
        raise typer.Exit(EXIT_CODES.get(type(error), 1)) from None
    finally:
        database.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes")] = 1,
) -> None:
    """Migrate the database and serve the API (creates a first workspace on an empty database)."""
    settings = Settings()
    with _database() as database:
        database.check_queries()
        with database.transaction(write=True) as tx:
            created = workspaces.create_first_workspace(tx)
    if created:
        workspace, _key, plain = created
        typer.echo(f"Created workspace {workspace.id} ({workspace.name}).")
        typer.echo(f"Its first API key (shown once, keep it safe): {plain}")
    typer.echo(f"API on http://{host}:{port}/api/v1 — docs at http://{host}:{port}/docs")
    typer.echo(f"Web console on http://{host}:{port}/console (sign in with an API key)")
    sys.stdout.flush()
    with _metrics_shared_between(workers if settings.metrics else 1):
        _serve(settings, host, port, workers)


@contextmanager
def _metrics_shared_between(processes: int) -> Iterator[None]:
    """Server processes write their metrics to files of one new directory, so that a scrape
    answered by any of them sums them all (prometheus-client's multiprocess mode); removed when
    the server stops. A directory the operator named in PROMETHEUS_MULTIPROC_DIR is used as is."""
    if processes == 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="leadblock-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # inherited by the workers
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    uvicorn.run(
        "leadblock.asgi:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        log_config=_log_config(settings.log_level),
        access_log=False,  # leadblock writes its own, structured (api/access_log.py)
        # Only behind a known proxy: a client could otherwise claim any address (its own rate
        # limit budget) or https (the console's Secure cookie flag).
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # uvicorn's httptools protocol plus a header deadline and a connection cap
        # (web/connections.py).
        http=connections.PROTOCOL,
    )


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus leadblock's loggers: JSON access lines on stdout, the rest on
    stderr."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["access_json"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["leadblock"] = {"handlers": ["default"], "level": level.upper()}
    config["loggers"]["leadblock.access"] = {
        "handlers": ["access_json"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


@app.command("doctor")
def doctor() -> None:
    """Check the settings, the database and its schema, changing nothing; print each check,
    and exit 1 if any failed."""
    failed = False

    def report(ok: bool, what: str, detail: str) -> None:
        nonlocal failed
        failed = failed or not ok
        typer.echo(f"{'ok  ' if ok else 'FAIL'}  {what}: {detail}")

    try:
        settings = Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = "LEADBLOCK_" + "_".join(str(part) for part in problem["loc"]).upper()
            report(False, "settings", f"{name}: {problem['msg']}")
        raise typer.Exit(1) from None
    report(True, "settings", "every LEADBLOCK_* variable is valid")
    for entry in settings.webhook_allowed_host_ports:
        host, _, port = entry.rpartition(":")
        report(
            bool(host) and port.isdigit() and 0 < int(port) < 65536,
            "settings",
            f"LEADBLOCK_WEBHOOK_ALLOWED_HOSTS entry {entry!r} "
            + ("is a host:port" if host and port.isdigit() else "is not a host:port"),
        )
    database = Database(settings)
    where = _redacted(database.url)
    try:
        try:
            with database.engine.connect() as connection:
                migrated = sqlalchemy.inspect(connection).has_table("alembic_version")
        except Exception as error:  # whatever it is, it is the finding
            report(False, "database", f"{where} does not answer: {_first_line(error)}")
        else:
            report(True, "database", f"{where} answers")
            if migrated:
                _doctor_schema(database, report)
            else:
                report(False, "schema", "none yet: run `leadblock migrate` (or `leadblock serve`)")
    finally:
        database.dispose()
    if failed:
        raise typer.Exit(1)


def _doctor_schema(database: Database, report: Callable[[bool, str, str], None]) -> None:
    with database.transaction() as tx:
        revision = schema_revision(tx)
    if revision != HEAD_REVISION:
        report(
            False,
            "schema",
            f"at {revision}, this version needs {HEAD_REVISION}: run `leadblock migrate`",
        )
        return
    report(True, "schema", f"at {revision}, this version's")
    database.check_queries()
    report(True, "queries", "every named query is valid against the schema")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _redacted(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending schema migrations."""
    with _database():
        typer.echo("Database is up to date.")


@workspace_app.command("create")
def workspace_create(name: str, as_json: JsonFlag = False) -> None:
    """Create a workspace and print its id and first API key (shown once)."""
    with _database() as database, database.transaction(write=True) as tx:
        workspace, _key, plain = workspaces.create_workspace(tx, name)
    _print(
        as_json,
        {"workspaceId": workspace.id, "apiKey": plain},
        f"Workspace {workspace.id} ({workspace.name})\nAPI key (shown once): {plain}",
    )


@workspace_app.command("list")
def workspace_list(as_json: JsonFlag = False) -> None:
    """List workspaces."""
    with _database() as database, database.transaction() as tx:
        found = workspaces.list_workspaces(tx)
    rows = [{"id": w.id, "name": w.name, "createdAt": iso(w.created_at)} for w in found]
    _print(as_json, rows, "\n".join(f"{w['id']}  {w['createdAt']}  {w['name']}" for w in rows))


@workspace_app.command("delete")
def workspace_delete(
    workspace_id: Annotated[str, typer.Argument(metavar="ID", help="Workspace id")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase a workspace and every row it holds (blocks, campaigns, audit trail, keys)."""
    with _database() as database:
        with database.transaction() as tx:
            workspace = workspaces.get_workspace(tx, workspace_id)
        if not yes:
            typer.confirm(
                f"Erase workspace {workspace.id} ({workspace.name}) and everything in it? "
                "This cannot be undone",
                abort=True,
                err=True,
            )
        with database.transaction(write=True) as tx:
            counts = workspaces.delete_workspace(tx, workspace_id)
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    _print(as_json, {"workspaceId": workspace_id, "deleted": counts}, f"Deleted {summary}.")


@key_app.command("create")
def key_create(
    workspace: WorkspaceOption,
    read_only: Annotated[bool, typer.Option("--read-only", help="Refuse writes")] = False,
    name: Annotated[str | None, typer.Option(help="A label for the key")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key for a workspace (shown once)."""
    with _database() as database, database.transaction(write=True) as tx:
        key, plain = keys.create_key(tx, workspace, read_only=read_only, name=name)
    _print(
        as_json, {"keyId": key.id, "apiKey": plain}, f"Key {key.id}\nAPI key (shown once): {plain}"
    )


@key_app.command("list")
def key_list(workspace: WorkspaceOption, as_json: JsonFlag = False) -> None:
    """List the keys of a workspace (never the keys themselves)."""
    with _database() as database, database.transaction() as tx:
        found = keys.list_keys(tx, workspace)
    rows = [
        {
            "keyId": k.id,
            "name": k.name,
            "role": "read-only" if k.read_only else "read-write",
            "createdAt": iso(k.created_at),
            "lastUsedAt": iso(k.last_used_at) if k.last_used_at else None,
            "revokedAt": iso(k.revoked_at) if k.revoked_at else None,
        }
        for k in found
    ]
    _print(
        as_json,
        rows,
        "\n".join(
            f"{r['keyId']}  {r['role']:<10}  {'revoked' if r['revokedAt'] else 'active ':<7}  "
            f"{r['name'] or ''}"
            for r in rows
        ),
    )


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke a key; every server refuses it from its next request."""
    with _database() as database, database.transaction(write=True) as tx:
        keys.revoke_key(tx, key_id)
    typer.echo(f"Key {key_id} revoked.")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    workspace: WorkspaceOption,
) -> None:
    """Block every row of a CSV file (publicIdentifier[,reason][,expiresAt]); all or
    nothing."""
    with _database() as database:
        caller = _operator(database, workspace)
        with file.open("rb") as source, _progress() as report:
            outcome = transfer.import_csv(database, caller, source, report)
    _print_import(outcome.rows, outcome)


@app.command("export")
def export_command(
    workspace: WorkspaceOption,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout)")
    ] = None,
) -> None:
    """Write the workspace blocklist as CSV."""
    with _database() as database:
        caller = _operator(database, workspace)
        with output.open("w", encoding="utf-8", newline="") if output else _stdout() as sink:
            for chunk in transfer.export_csv(database, caller):
                sink.write(chunk)


@company_app.command("import")
def company_import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    workspace: WorkspaceOption,
) -> None:
    """Block every company of a CSV file (kind,value[,name][,reason][,expiresAt]); all or
    nothing."""
    with _database() as database:
        caller = _operator(database, workspace)
        rows = transfer.read_companies_csv(file.read_bytes())
        with database.transaction(write=True) as tx:
            outcome = transfer.import_companies(tx, caller, rows)
    _print_import(len(rows), outcome)


@company_app.command("export")
def company_export_command(
    workspace: WorkspaceOption,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout)")
    ] = None,
) -> None:
    """Write the workspace's company blocks as CSV."""
    with _database() as database:
        caller = _operator(database, workspace)
        with output.open("w", encoding="utf-8", newline="") if output else _stdout() as sink:
            for chunk in transfer.export_companies_csv(database, caller):
                sink.write(chunk)


class _Counts(Protocol):
    @property
    def blocked(self) -> int: ...
    @property
    def already_blocked(self) -> int: ...
    @property
    def extended(self) -> int: ...
    @property
    def duplicates(self) -> int: ...


@webhook_app.command("list")
def webhook_list(workspace: WorkspaceOption, as_json: JsonFlag = False) -> None:
    """List a workspace's webhook endpoints (never their secrets)."""
    with _database() as database:
        caller = _operator(database, workspace)
        with database.transaction() as tx:
            rows = [webhooks.webhook_json(w) for w in webhooks.list_webhooks(tx, caller)]
    _print(
        as_json,
        rows,
        "\n".join(
            f"{r['id']}  {'enabled ' if r['enabled'] else 'disabled'}  {r['url']}"
            f"  {','.join(r['events']) or 'all events'}"
            for r in rows
        ),
    )


@webhook_app.command("create")
def webhook_create(
    url: str,
    workspace: WorkspaceOption,
    event: Annotated[
        list[str] | None,
        typer.Option(
            help=f"An event type to receive (repeat for more; default all): "
            f"{', '.join(webhooks.EVENT_TYPES)}"
        ),
    ] = None,
    description: Annotated[str | None, typer.Option(help="What it is for")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a webhook endpoint; its signing secret is shown once."""
    settings = Settings()
    with _database() as database:
        caller = _operator(database, workspace)
        try:
            destination = vet(
                url,
                allow_http=settings.webhook_allow_http,
                allowed_hosts=settings.webhook_allowed_host_ports,
            )
        except InvalidDestination as refused:
            raise errors.InvalidInput(f"Invalid url: {refused}.") from None
        types = webhooks.event_types(event)
        with database.transaction(write=True) as tx:
            webhook = webhooks.create_webhook(
                tx, caller, destination, types, description, settings.webhook_limit
            )
    _print(
        as_json,
        webhooks.webhook_json(webhook, with_secret=True),
        f"Webhook {webhook.id}\nSigning secret (shown once): {webhook.secret}",
    )


@webhook_app.command("delete")
def webhook_delete(webhook_id: str, workspace: WorkspaceOption) -> None:
    """Delete a webhook endpoint and its delivery log."""
    with _database() as database:
        caller = _operator(database, workspace)
        with database.transaction(write=True) as tx:
            webhooks.delete_webhook(tx, caller, webhook_id)
    typer.echo(f"Webhook {webhook_id} deleted.")


def _print_import(rows: int, outcome: _Counts) -> None:
    typer.echo(
        f"{rows} rows: {outcome.blocked} blocked, {outcome.already_blocked} already blocked "
        f"({outcome.extended} extended), {outcome.duplicates} duplicates."
    )


def _operator(database: Database, workspace_id: str) -> Caller:
    """The operator acting on a workspace (no key); `NotFound` if it does not exist."""
    with database.transaction() as tx:
        workspace = workspaces.get_workspace(tx, workspace_id)
    return Caller(workspace_id=workspace.id, workspace=workspace.number, key_id=None)


@contextmanager
def _progress() -> Iterator[transfer.Progress]:
    """A progress bar on a terminal (validating the file, then blocking its leads); silence
    when output is piped."""
    with Progress(
        "[progress.description]{task.description:<10}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
        transient=True,
    ) as bar:
        task = bar.add_task("validating", total=None)
        yield lambda phase, done, total: bar.update(
            task, description=phase, completed=done, total=total
        )


@contextmanager
def _stdout() -> Iterator[Any]:
    yield sys.stdout


def _print(as_json: bool, data: Any, text: str) -> None:
    typer.echo(json.dumps(data) if as_json else text)
