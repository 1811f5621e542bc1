"""PostgreSQL plans that must not depend on the statistics: a bulk write refreshes them, and
dispatch walks the pending leads in order whatever they say."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadblock.config import Settings
from leadblock.domain.records import Caller
from leadblock.services import blocklist, campaigns, workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from tests.postgres import PostgresCluster

LEADS = 2_000


@pytest.fixture
def database(postgres: PostgresCluster) -> Iterator[Database]:
    name = f"leadblock_plans_{secrets.token_hex(4)}"  # a fresh database: no statistics yet
    database = Database(Settings(database_url=postgres.create_database(name)))
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture
def caller(database: Database) -> Caller:
    with database.transaction(write=True) as tx:
        workspace, _key, _plain = workspaces.create_workspace(tx, "plans")
    return Caller(workspace_id=workspace.id, workspace=workspace.number, key_id=None)


def known_rows(database: Database, table: str) -> float:
    """The row count PostgreSQL's statistics know for `table` (-1: never analyzed)."""
    with database.transaction() as tx:
        tx.cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table,))
        return float(tx.cursor.fetchone()[0])


def enrol(database: Database, caller: Caller, campaign_id: str, identifiers: list[str]) -> None:
    with database.transaction(write=True) as tx:
        raw = [campaigns.RawLead(ident) for ident in identifiers]
        campaigns.enrol_leads(tx, caller, campaign_id, raw)


def test_a_bulk_write_refreshes_the_statistics_of_what_it_grew(
    database: Database, caller: Caller
) -> None:
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, "plans")
    assert known_rows(database, "campaign_leads") < 0  # never analyzed

    enrol(database, caller, campaign.id, [f"lead-{n:05d}" for n in range(LEADS)])
    assert known_rows(database, "campaign_leads") == LEADS

    # A tenth more is a change the statistics must know of; a handful is not.
    enrol(database, caller, campaign.id, [f"more-{n:05d}" for n in range(10)])
    assert known_rows(database, "campaign_leads") == LEADS

    with database.transaction(write=True) as tx:
        identifiers = [f"lead-{n:05d}" for n in range(LEADS)]
        campaigns.block_in_campaign(tx, caller, campaign.id, identifiers, None)
        blocklist.block_leads(tx, caller, [(ident, None) for ident in identifiers])
    assert known_rows(database, "campaign_blocked_leads") == LEADS
    assert known_rows(database, "blocked_leads") == LEADS


def test_dispatch_walks_the_pending_leads_in_order_whatever_the_statistics(
    database: Database, caller: Caller
) -> None:
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, "plans")
    identifiers = [f"lead-{n:05d}" for n in range(LEADS)]
    enrol(database, caller, campaign.id, identifiers)
    # Statistics that say every lead is blocked, at both levels: the planner's cheapest plan
    # on its own is then to anti-join the whole campaign and sort it.
    with database.transaction(write=True) as tx:
        campaigns.block_in_campaign(tx, caller, campaign.id, identifiers, None)
        blocklist.block_leads(tx, caller, [(ident, None) for ident in identifiers])

    with database.transaction(write=True) as tx:
        tx.tuples("plan-dispatch")
        statement = database.queries["dispatch-campaign-leads"].sql
        params = {"workspace": caller.workspace, "campaign_id": campaign.id}
        lease = {"status": "pending", "dispatched_at": None, "claim_id": "c", "lease_expires_at": 1}
        tx.cursor.execute(f"EXPLAIN {statement}", {**params, **lease, "limit": 100, "now": 0})
        plan = "\n".join(row[0] for row in tx.cursor.fetchall())
        tx.cursor.execute("ROLLBACK")

    # In id order (the pending index, or the primary key while every lead is pending).
    assert re.search(r"Index Scan using campaign_leads_(pending|pkey) on campaign_leads lead", plan)
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan
    assert "Tid Scan" in plan, plan  # the claimed rows are updated where they were locked


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("select-blocked-leads-by-identifiers", "blocked_leads_identifier"),
        ("select-blocked-lead-by-identifier", "blocked_leads_identifier"),
        ("delete-blocked-leads-by-identifiers", "blocked_leads_identifier"),
        ("select-campaign-blocked-leads-by-identifiers", "campaign_blocked_leads_pkey"),
    ],
)
def test_a_lookup_of_one_identifier_is_one_index_probe(
    database: Database, caller: Caller, query: str, index: str
) -> None:
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, "plans")
        identifiers = [f"lead-{n:05d}" for n in range(LEADS)]
        campaigns.block_in_campaign(tx, caller, campaign.id, identifiers, None)
        blocklist.block_leads(tx, caller, [(ident, None) for ident in identifiers])

    # The plan every request runs: generic (the connections force it), whatever the values.
    statement = database.queries[query]
    positional = statement.sql
    for number, parameter in enumerate(statement.parameters, 1):
        positional = positional.replace(f"%({parameter})s", f"${number}")
    values = {"workspace": str(caller.workspace), "campaign_id": campaign.id}
    values["identifiers"] = '["lead-00042"]'
    values["identifier"] = "lead-00042"
    arguments = ", ".join(f"'{values[parameter]}'" for parameter in statement.parameters)
    with database.transaction(write=True) as tx:
        tx.cursor.execute(f"PREPARE lookup AS {positional}")
        tx.cursor.execute(f"EXPLAIN EXECUTE lookup ({arguments})")
        plan = "\n".join(row[0] for row in tx.cursor.fetchall())
        tx.cursor.execute("ROLLBACK")

    assert f"Index Scan using {index}" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "Hash" not in plan, plan


@pytest.mark.parametrize("query", ["select-claim-leads", "confirm-claim-leads"])
def test_a_claim_is_found_by_its_index_on_sqlite(tmp_path: Path, query: str) -> None:
    # With `ORDER BY id`, SQLite had walked the campaign's whole pending index instead.
    database = Database(Settings(database_url=f"sqlite:///{tmp_path / 'plans.db'}"))
    migrate(database)
    statement = database.queries[query]
    with database.transaction() as tx:
        parameters = dict.fromkeys(statement.parameters)
        tx.cursor.execute(f"EXPLAIN QUERY PLAN {statement.sql}", parameters)
        plan = [row[3] for row in tx.cursor.fetchall()]
    database.dispose()
    assert any("USING INDEX campaign_leads_claim" in step for step in plan), plan
