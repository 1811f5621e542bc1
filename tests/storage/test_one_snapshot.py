"""A lead that is blocked at every instant is never answered "not blocked", while its block
moves between kinds (person, company, campaign) under the check: every kind of block a check,
a listing or a confirm weighs is read from one snapshot of the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from leadblock.domain.records import Caller
from leadblock.services import blocklist, campaigns, company_blocks, workspaces
from leadblock.services.company_blocks import RawCompany
from leadblock.storage.db import Database, Transaction

SWAPS = 400
DEADLINE_S = 20.0
LEAD = "swapped-lead"
DOMAIN = "swapped.example"


def _caller(database: Database, name: str) -> Caller:
    with database.transaction(write=True) as tx:
        workspace, _key, _plain = workspaces.create_workspace(tx, name)
    return Caller(workspace_id=workspace.id, workspace=workspace.number, key_id=None)


def _swapping(
    database: Database, steps: list[Callable[[Transaction], object]], stop: threading.Event
) -> threading.Thread:
    """A thread that runs `steps` round and round, each one transaction, until `stop` or
    SWAPS rounds."""

    def run() -> None:
        for _ in range(SWAPS):
            for step in steps:
                if stop.is_set():
                    return
                with database.transaction(write=True) as tx:
                    step(tx)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class _Undone(Exception):
    """Rolls back what a checker's transaction wrote: each confirm sees the same lease."""


def _never_unblocked(
    database: Database,
    steps: list[Callable[[Transaction], object]],
    blocked: Callable[[Transaction], bool],
    *,
    write: bool = False,
) -> None:
    stop = threading.Event()
    swapper = _swapping(database, steps, stop)
    misses = checks = 0
    deadline = time.monotonic() + DEADLINE_S
    try:
        while swapper.is_alive() and time.monotonic() < deadline:
            try:
                with database.transaction(write=write) as tx:
                    misses += not blocked(tx)
                    raise _Undone
            except _Undone:
                checks += 1
    finally:
        stop.set()
        swapper.join()
    assert checks > 0
    assert misses == 0, f"{misses} of {checks} checks answered 'not blocked'"


def _person_company_swaps(caller: Caller) -> list[Callable[[Transaction], object]]:
    """The two swaps of LEAD's block: its person block for its company's (DOMAIN), and back;
    each blocks the new kind before it unblocks the old one."""

    def to_company(tx: Transaction) -> None:
        company_blocks.block_companies(tx, caller, [RawCompany(domain=DOMAIN)])
        blocklist.unblock(tx, caller, [], [LEAD])

    def to_person(tx: Transaction) -> None:
        blocklist.block_leads(tx, caller, [(LEAD, None)])
        company_blocks.unblock_companies(tx, caller, [], [], [DOMAIN])

    return [to_company, to_person]


def test_a_block_moving_between_person_and_company_is_always_seen(database: Database) -> None:
    caller = _caller(database, "one snapshot: company")
    with database.transaction(write=True) as tx:
        blocklist.block_leads(tx, caller, [(LEAD, None)])

    item: blocklist.CheckItem = {"publicIdentifier": LEAD, "companyDomain": DOMAIN}

    def blocked(tx: Transaction) -> bool:
        return bool(blocklist.check(tx, caller, [item])[0].blocked)

    _never_unblocked(database, _person_company_swaps(caller), blocked)


def test_a_block_moving_between_campaign_and_workspace_is_always_seen(database: Database) -> None:
    caller = _caller(database, "one snapshot: campaign")
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, "swaps")
        blocklist.block_leads(tx, caller, [(LEAD, None)])

    def to_campaign(tx: Transaction) -> None:
        campaigns.block_in_campaign(tx, caller, campaign.id, [LEAD], None)
        blocklist.unblock(tx, caller, [], [LEAD])

    def to_workspace(tx: Transaction) -> None:
        blocklist.block_leads(tx, caller, [(LEAD, None)])
        campaigns.unblock_in_campaign(tx, caller, campaign.id, [LEAD])

    def blocked(tx: Transaction) -> bool:
        return bool(blocklist.check(tx, caller, [LEAD], campaign.id)[0].blocked)

    _never_unblocked(database, [to_campaign, to_workspace], blocked)


def test_a_listed_lead_s_block_is_always_seen(database: Database) -> None:
    caller = _caller(database, "one snapshot: listing")
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, "listing")
        campaigns.enrol_leads(
            tx, caller, campaign.id, [campaigns.RawLead(LEAD, company_domain=DOMAIN)]
        )
        blocklist.block_leads(tx, caller, [(LEAD, None)])

    def blocked(tx: Transaction) -> bool:
        (lead,) = campaigns.list_leads(tx, caller, campaign.id).items
        return lead.block is not None

    _never_unblocked(database, _person_company_swaps(caller), blocked)


def test_a_confirm_always_stops_a_lead_whose_block_moves(database: Database) -> None:
    caller = _caller(database, "one snapshot: confirm")
    with database.transaction(write=True) as tx:
        campaign = campaigns.create_campaign(tx, caller, "confirm")
        campaigns.enrol_leads(
            tx, caller, campaign.id, [campaigns.RawLead(LEAD, company_domain=DOMAIN)]
        )
        claim = campaigns.dispatch(tx, caller, campaign.id, 1, lease_seconds=600)
        blocklist.block_leads(tx, caller, [(LEAD, None)])
    claim_id = claim.claim_id
    assert claim_id is not None
    assert len(claim.leads) == 1

    def blocked(tx: Transaction) -> bool:
        outcome = campaigns.confirm(tx, caller, campaign.id, claim_id, None)
        assert not outcome.not_held
        return not outcome.confirmed and len(outcome.blocked) == 1

    _never_unblocked(database, _person_company_swaps(caller), blocked, write=True)
