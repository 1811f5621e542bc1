"""Storage v2 (migration 0007) carries a database made by the previous schema over: every
block, count, event, campaign, campaign block, campaign lead and key reads back the same."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadblock.config import Settings
from leadblock.domain.ids import new_id, new_ids
from leadblock.domain.records import Caller, LeadStatus, SubjectKind
from leadblock.services import audit, blocklist, campaigns, company_blocks, keys, workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from tests.conftest import BACKENDS
from tests.postgres import PostgresCluster

AT = 1_790_000_000_000  # 2026-09-21, one instant for every row of the old database
_names = itertools.count()

# The previous schema's rows, as that schema's own statements wrote them (workspace ids in text).
OLD_ROWS = """
INSERT INTO workspaces (id, name, created_at) VALUES (:a, 'alpha', :at), (:b, 'beta', :at);
INSERT INTO api_keys (id, workspace_id, name, secret_hash, read_only, created_at)
    VALUES ('00000000000000aa', :a, 'first key', :hash, false, :at);
INSERT INTO blocked_leads (workspace_id, id, public_identifier, reason, reason_lower, created_at)
    VALUES (:a, :id1, 'ada-lovelace', 'Opted Out', 'opted out', :at),
           (:a, :id2, 'grace-hopper', NULL, NULL, :at),
           (:b, :id3, 'ada-lovelace', 'client', 'client', :at);
INSERT INTO blocked_lead_counts (workspace_id, slot, count) VALUES (:a, 3, 2), (:b, 0, 1);
INSERT INTO events (workspace_id, id, type, at, key_id, public_identifier, reason, scope,
                    campaign_id)
    VALUES (:a, :e1, 'blocked', :at, '00000000000000aa', 'ada-lovelace', 'Opted Out',
            'workspace', NULL),
           (:a, :e2, 'blocked', :at, NULL, 'linus', 'not now', 'campaign', :c);
INSERT INTO campaigns (workspace_id, id, name, created_at) VALUES (:a, :c, 'Q4', :at);
INSERT INTO campaign_blocked_leads (workspace_id, campaign_id, public_identifier, reason,
                                    created_at)
    VALUES (:a, :c, 'linus', 'not now', :at);
INSERT INTO campaign_leads (workspace_id, campaign_id, id, public_identifier, first_name,
                            last_name, company_name, email, status, created_at, dispatched_at)
    VALUES (:a, :c, :l1, 'linus', 'Linus', NULL, NULL, NULL, 'pending', :at, NULL),
           (:a, :c, :l2, 'ken', NULL, NULL, 'Bell', 'ken@example.com', 'dispatched', :at, :at),
           (:a, :c, :l3, 'ada-lovelace', NULL, NULL, NULL, NULL, 'pending', :at, NULL)
"""


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.create_database(f"leadblock_upgrade_{next(_names)}")
    database = Database(Settings(database_url=url))
    yield database
    database.dispose()


def test_a_database_of_the_previous_schema_reads_back_the_same(empty_database: Database) -> None:
    database = empty_database
    migrate(database, "0006")
    a, b, c = new_id(AT - 2), new_id(AT - 1), new_id(AT)
    id1, id2, id3, e1, e2, l1, l2, l3 = new_ids(8, AT)
    plain_key = "lb_00000000000000aa_" + "s" * 43
    values = {
        "a": a,
        "b": b,
        "c": c,
        "at": AT,
        "hash": keys._hash(plain_key),
        "id1": id1,
        "id2": id2,
        "id3": id3,
        "e1": e1,
        "e2": e2,
        "l1": l1,
        "l2": l2,
        "l3": l3,
    }
    statements = OLD_ROWS.strip().split(";\n")
    for number, statement in enumerate(statements):
        database.add_query(f"old-{number}", statement)
    with database.transaction(write=True) as tx:
        for number in range(len(statements)):
            wanted = database.queries[f"old-{number}"].parameters
            tx.execute(f"old-{number}", **{name: values[name] for name in wanted})

    migrate(database)

    caller = keys.authenticate(database, plain_key)
    assert (caller.workspace_id, caller.key_id, caller.read_only) == (a, "00000000000000aa", False)
    with database.transaction() as tx:
        alpha, beta = workspaces.get_workspace(tx, a), workspaces.get_workspace(tx, b)
        assert (alpha.name, beta.name) == ("alpha", "beta")
        assert alpha.number != beta.number
        assert caller.workspace == alpha.number
        page = blocklist.list_blocked_leads(tx, caller, sort="ASC")
        assert [
            (lead.id, lead.public_identifier, lead.reason, lead.expires_at) for lead in page.items
        ] == [
            (id1, "ada-lovelace", "Opted Out", None),
            (id2, "grace-hopper", None, None),
        ]
        assert page.total == 2
        other = Caller(beta.id, beta.number, None)
        assert [
            (lead.id, lead.reason) for lead in blocklist.list_blocked_leads(tx, other).items
        ] == [(id3, "client")]
        assert blocklist.list_blocked_leads(tx, caller, search="OPTED").total == 1
        trail = audit.list_events(tx, caller)
        assert [
            (event.id, event.subject_kind, event.subject, event.expires_at, event.scope)
            for event in trail.items
        ] == [
            (e2, SubjectKind.LEAD, "linus", None, "campaign"),
            (e1, SubjectKind.LEAD, "ada-lovelace", None, "workspace"),
        ]
        [campaign] = campaigns.list_campaigns(tx, caller).items
        assert (campaign.id, campaign.name, campaign.created_at) == (c, "Q4", AT)
        blocks, total = campaigns.list_campaign_blocks(tx, caller, c, skip=0, take=10)
        assert (
            [(block.public_identifier, block.reason, block.expires_at) for block in blocks],
            total,
        ) == (
            [("linus", "not now", None)],
            1,
        )
        leads = campaigns.list_leads(tx, caller, c)
        assert [
            (view.lead.id, view.lead.public_identifier, view.lead.status) for view in leads.items
        ] == [
            (l1, "linus", LeadStatus.PENDING),
            (l2, "ken", LeadStatus.DISPATCHED),
            (l3, "ada-lovelace", LeadStatus.PENDING),
        ]
    # The upgraded database takes new writes: a new workspace gets a number of its own, and
    # dispatch skips both the campaign block (linus) and the workspace block (ada-lovelace).
    with database.transaction(write=True) as tx:
        gamma, _key, _plain = workspaces.create_workspace(tx, "gamma")
        assert gamma.number not in {alpha.number, beta.number}
        assert campaigns.dispatch(tx, caller, c, 10).leads == []
        outcome = blocklist.block_leads(tx, caller, [("ada-lovelace", None), ("new-one", None)])
        assert (outcome.blocked, outcome.already_blocked) == (1, 1)
    with database.transaction(write=True) as tx:
        assert blocklist.list_blocked_leads(tx, caller).total == 3
        assert workspaces.delete_workspace(tx, b)["blocked-leads"] == 1


# Leads enrolled before company blocks existed (schema 0009): e-mail addresses only.
LEADS_BEFORE_COMPANIES = """
INSERT INTO workspaces (id, number, name, created_at) VALUES (:a, 7, 'alpha', :at);
INSERT INTO campaigns (workspace, id, name, created_at) VALUES (7, :c, 'Q4', :at);
INSERT INTO campaign_leads (workspace, campaign_id, id, public_identifier, email, status,
                            created_at)
    VALUES (7, :c, :l1, 'at-client', 'ann@client.example', 'pending', :at),
           (7, :c, :l2, 'at-subsidiary', 'bo@eu.client.example', 'pending', :at),
           (7, :c, :l3, 'elsewhere', 'cy@other.example', 'pending', :at),
           (7, :c, :l4, 'no-domain', 'dee@localhost', 'pending', :at),
           (7, :c, :l5, 'no-email', NULL, 'pending', :at)
"""


def test_leads_enrolled_before_company_blocks_are_stopped_by_them(
    empty_database: Database,
) -> None:
    """Migration 0013: dispatch, the leads list and a block's count of leads it stops agree on
    leads whose company is known only from an e-mail address written before 0010."""
    database = empty_database
    migrate(database, "0009")
    a, c = new_id(AT - 1), new_id(AT)
    leads = new_ids(5, AT)
    values = {"a": a, "c": c, "at": AT, **{f"l{n}": lead for n, lead in enumerate(leads, 1)}}
    statements = LEADS_BEFORE_COMPANIES.strip().split(";\n")
    for number, statement in enumerate(statements):
        database.add_query(f"before-companies-{number}", statement)
    with database.transaction(write=True) as tx:
        for number in range(len(statements)):
            query = f"before-companies-{number}"
            tx.execute(query, **{name: values[name] for name in database.queries[query].parameters})

    migrate(database)

    caller = Caller(a, 7, "00000000000000aa")
    with database.transaction(write=True) as tx:
        outcome = company_blocks.block_companies(
            tx, caller, [company_blocks.RawCompany(domain="client.example")]
        )
        assert company_blocks.leads_stopped(tx, caller, outcome.companies) == {
            outcome.companies[0].id: 2
        }
        listed = {
            view.lead.public_identifier: view.block.scope if view.block else None
            for view in campaigns.list_leads(tx, caller, c).items
        }
        assert listed == {
            "at-client": "company",
            "at-subsidiary": "company",
            "elsewhere": None,
            "no-domain": None,
            "no-email": None,
        }
        handed_out = campaigns.dispatch(tx, caller, c, 10).leads
        assert sorted(view.lead.public_identifier for view in handed_out) == [
            "elsewhere",
            "no-domain",
            "no-email",
        ]
