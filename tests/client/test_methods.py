"""Every method of the client against the real server, through `Client` and through
`AsyncClient`: whole answers compared, as typed models, and what each write did read back.

Values no test can know (record ids, timestamps, cursors, secrets) are checked by their shape."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, replace

import pytest

from leadblock_client import (
    AuditEvent,
    BlockedClaimLead,
    BlockedLead,
    BlockResult,
    BlockState,
    Campaign,
    CampaignBlock,
    CampaignBlockResult,
    CampaignLead,
    CampaignLeadInput,
    CampaignUnblockResult,
    CheckItem,
    CheckResult,
    Client,
    CompanyBlock,
    CompanyBlockResult,
    CompanyImportResult,
    CompanyInput,
    CompanyUnblockResult,
    ConfirmResult,
    DispatchResult,
    EnrolResult,
    ImportResult,
    LeadInput,
    NotFoundError,
    Page,
    ReleaseResult,
    UnblockResult,
    Webhook,
    WebhookDelivery,
    WebhookWithSecret,
)
from tests.conftest import TenantFixture
from tests.receiver import Receiver
from tests.shapes import CURSOR, RECORD_ID, shaped

FUTURE = dt.datetime(2099, 3, 1, tzinfo=dt.UTC)
LATER = dt.datetime(2099, 6, 30, 12, tzinfo=dt.UTC)
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{32,}={0,2}")


def record_id(value: str | None) -> str:
    return shaped(value, RECORD_ID)


def cursor(value: str | None) -> str:
    return shaped(value, CURSOR)


def instant(value: dt.datetime | None) -> dt.datetime:
    """A timestamp of the server: timezone-aware, in UTC, to the millisecond."""
    assert isinstance(value, dt.datetime), value
    assert value.utcoffset() == dt.timedelta(0), value
    assert value.microsecond % 1000 == 0, value
    return value


def wire_time(value: dt.datetime) -> str:
    """A timestamp as the server writes it (`2026-11-24T14:37:27.257Z`)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def key_id(tenant: TenantFixture) -> str:
    return tenant.api_key.split("_")[1]


def test_the_workspace_blocklist(client: Client, tenant: TenantFixture) -> None:
    answer = client.block_leads(
        [
            "https://www.linkedin.com/in/John-Doe/",
            LeadInput(public_identifier="jane-roe", reason="  Opted out ", expires_at=FUTURE),
        ]
    )
    john, jane = answer.leads
    workspace = tenant.workspace_id
    assert answer == BlockResult(
        message="2 lead(s) blocked.",
        blocked=2,
        already_blocked=0,
        extended=0,
        duplicates=0,
        leads=(
            BlockedLead(
                id=record_id(john.id),
                public_identifier="john-doe",
                reason=None,
                created_at=instant(john.created_at),
                workspace_id=workspace,
                expires_at=None,
            ),
            BlockedLead(
                id=record_id(jane.id),
                public_identifier="jane-roe",
                reason="Opted out",
                created_at=instant(jane.created_at),
                workspace_id=workspace,
                expires_at=FUTURE,
            ),
        ),
    )
    john_id, jane_id = record_id(john.id), record_id(jane.id)

    dry = client.block_leads(["ada-lovelace", "john-doe", "JOHN-DOE"], dry_run=True)
    ada = dry.leads[0]
    assert dry == BlockResult(
        message="1 lead(s) blocked.",
        blocked=1,
        already_blocked=1,
        extended=0,
        duplicates=1,
        leads=(
            replace(john, id=None, public_identifier="ada-lovelace", created_at=ada.created_at),
            john,
        ),
        dry_run=True,
    )
    assert client.get_blocked_lead(john_id) == john

    jane = client.update_blocked_lead(jane_id, reason="Client since 2026")
    assert jane == replace(answer.leads[1], reason="Client since 2026")
    jane = client.update_blocked_lead(jane_id, expires_at=None)
    assert jane == replace(answer.leads[1], reason="Client since 2026", expires_at=None)

    assert client.check_lead("https://www.linkedin.com/in/jane-roe") == CheckResult(
        input="https://www.linkedin.com/in/jane-roe",
        public_identifier="jane-roe",
        blocked=True,
        scope="workspace",
        reason="Client since 2026",
        blocked_at=jane.created_at,
        expires_at=None,
        contactable=False,
    )
    item = CheckItem(public_identifier="ada-lovelace", company_domain="acme.com")
    assert client.check_leads(["john-doe", item, "!!"]) == (
        CheckResult(
            input="john-doe",
            public_identifier="john-doe",
            blocked=True,
            scope="workspace",
            reason=None,
            blocked_at=john.created_at,
            expires_at=None,
            contactable=False,
        ),
        CheckResult(
            input=item,
            public_identifier="ada-lovelace",
            blocked=False,
            scope=None,
            reason=None,
            blocked_at=None,
            expires_at=None,
            contactable=True,
        ),
        CheckResult(
            input="!!",
            public_identifier=None,
            blocked=None,
            scope=None,
            reason=None,
            blocked_at=None,
            expires_at=None,
            contactable=False,
            error="publicIdentifier is shorter than 3 characters",
        ),
    )

    # Newest first, ties broken by id: jane, then john.
    first = client.list_blocked_leads(limit=1)
    assert first == Page((jane,), 2, cursor(first.next_cursor))
    assert client.list_blocked_leads(limit=1, cursor=first.next_cursor) == Page((john,), 2, None)
    assert client.list_blocked_leads(sort="ASC") == Page((john, jane), 2, None)
    assert client.list_blocked_leads(search="CLIENT") == Page((jane,), 1, None)
    assert client.list_blocked_leads(offset=1) == Page((john,), 2, None)
    assert list(client.iter_blocked_leads(limit=1)) == [jane, john]

    csv = client.export_blocked_leads()
    assert csv.splitlines() == [
        "publicIdentifier,reason,createdAt,id,expiresAt",
        f"john-doe,,{wire_time(john.created_at)},{john.id},",
        f"jane-roe,Client since 2026,{wire_time(jane.created_at)},{jane.id},",
    ]
    rows = "publicIdentifier,reason\nalan-turing,Partner\njohn-doe,\n"
    imported = ImportResult(
        message="1 lead(s) blocked from 2 row(s).",
        rows=2,
        blocked=1,
        already_blocked=1,
        extended=0,
        duplicates=0,
    )
    assert client.import_blocked_leads(rows, dry_run=True) == replace(imported, dry_run=True)
    assert client.list_blocked_leads().total == 2
    assert client.import_blocked_leads(rows.encode()) == imported
    assert client.list_blocked_leads().total == 3

    expected_unblock = UnblockResult(
        message="2 lead(s) unblocked.", unblocked=2, not_found=("no-such-record",)
    )
    ids = [john_id, "no-such-record"]
    unblock = client.unblock_leads(ids=ids, public_identifiers=["alan-turing"], dry_run=True)
    assert unblock == replace(expected_unblock, dry_run=True)
    assert client.unblock_leads(ids=ids, public_identifiers=["alan-turing"]) == expected_unblock
    assert client.unblock_lead(jane_id) is None
    with pytest.raises(NotFoundError):
        client.get_blocked_lead(jane_id)
    assert client.list_blocked_leads() == Page((), 0, None)

    # The audit trail of jane, newest first, by the tenant's key.
    trail = list(client.iter_events(public_identifier="jane-roe", limit=2))
    assert [event.type for event in trail] == [
        "unblocked",
        "expiry_changed",
        "reason_changed",
        "blocked",
    ]
    changed = trail[2]
    assert changed == AuditEvent(
        id=record_id(changed.id),
        type="reason_changed",
        at=instant(changed.at),
        key_id=key_id(tenant),
        public_identifier="jane-roe",
        linkedin_company=None,
        domain=None,
        reason="Client since 2026",
        expires_at=FUTURE,
        scope="workspace",
        campaign_id=None,
    )
    assert client.list_events(event_type="reason_changed") == Page((changed,), 1, None)


def test_campaigns_their_blocks_and_leads(client: Client) -> None:
    campaign = client.create_campaign("  Q4 founders ")
    assert campaign == Campaign(
        id=record_id(campaign.id), name="Q4 founders", created_at=instant(campaign.created_at)
    )
    assert client.get_campaign(campaign.id) == campaign
    other = client.create_campaign("Q1")
    assert client.list_campaigns() == Page((other, campaign), 2, None)
    assert list(client.iter_campaigns(limit=1)) == [other, campaign]
    assert client.list_campaigns(offset=1) == Page((campaign,), 2, None)

    blocked = CampaignBlockResult(
        message="1 lead(s) blocked for this campaign.",
        blocked=1,
        already_blocked=0,
        extended=0,
        duplicates=0,
    )
    assert client.block_in_campaign(campaign.id, ["grace-hopper"], dry_run=True) == replace(
        blocked, dry_run=True
    )
    answer = client.block_in_campaign(
        campaign.id, ["alan-turing"], reason="Replied: not now", expires_at=FUTURE
    )
    assert answer == blocked
    page = client.list_campaign_blocks(campaign.id)
    block = page.items[0]
    assert page == Page(
        (
            CampaignBlock(
                public_identifier="alan-turing",
                reason="Replied: not now",
                created_at=instant(block.created_at),
                expires_at=FUTURE,
            ),
        ),
        1,
        None,
    )
    assert client.list_campaign_blocks(campaign.id, skip=0, take=10) == page
    assert list(client.iter_campaign_blocks(campaign.id, limit=1)) == [block]

    alan = CampaignLeadInput(
        public_identifier="alan-turing",
        first_name="Alan",
        last_name="Turing",
        company_name="Bletchley",
        email="alan@bletchley.org",
        company_linkedin="https://www.linkedin.com/company/bletchley-park/",
        company_domain="bletchley.org",
    )
    enrolled = client.enrol_leads(campaign.id, ["https://www.linkedin.com/in/ada-lovelace", alan])
    assert enrolled == EnrolResult(
        message="2 lead(s) added to the campaign.",
        added=2,
        already_in_campaign=0,
        blocked=1,
        duplicates=0,
    )
    leads = client.list_campaign_leads(campaign.id)
    ada_lead, alan_lead = leads.items
    assert leads == Page(
        (
            CampaignLead(
                id=record_id(ada_lead.id),
                public_identifier="ada-lovelace",
                first_name=None,
                last_name=None,
                company_name=None,
                email=None,
                company_linkedin=None,
                company_domain=None,
                blocked=None,
                created_at=instant(ada_lead.created_at),
                status="pending",
                claim_id=None,
                lease_expires_at=None,
            ),
            CampaignLead(
                id=record_id(alan_lead.id),
                public_identifier="alan-turing",
                first_name="Alan",
                last_name="Turing",
                company_name="Bletchley",
                email="alan@bletchley.org",
                company_linkedin="bletchley-park",
                company_domain="bletchley.org",
                blocked=BlockState(scope="campaign", reason="Replied: not now", expires_at=FUTURE),
                created_at=instant(alan_lead.created_at),
                status="pending",
                claim_id=None,
                lease_expires_at=None,
            ),
        ),
        2,
        None,
    )
    assert list(client.iter_campaign_leads(campaign.id, limit=1)) == [ada_lead, alan_lead]
    assert client.list_campaign_leads(campaign.id, offset=1) == Page((alan_lead,), 2, None)

    unblocked = client.unblock_in_campaign(campaign.id, ["alan-turing", "grace-hopper"])
    assert unblocked == CampaignUnblockResult(
        message="1 lead(s) unblocked for this campaign.",
        unblocked=1,
        not_found=("grace-hopper",),
    )
    dispatched = client.dispatch_leads(campaign.id, limit=1)
    assert dispatched == DispatchResult(leads=(replace(ada_lead, status="dispatched"),))
    assert client.dispatch_leads(campaign.id) == DispatchResult(
        leads=(replace(alan_lead, status="dispatched", blocked=None),)
    )
    assert client.dispatch_leads(campaign.id) == DispatchResult(leads=())

    assert client.delete_campaign(campaign.id) is None
    with pytest.raises(NotFoundError):
        client.get_campaign(campaign.id)
    assert client.list_campaigns() == Page((other,), 1, None)


def test_leases_confirm_and_release(client: Client, bystander: Client) -> None:
    campaign = client.create_campaign("leases").id
    client.enrol_leads(campaign, ["prospect-0", "prospect-1", "prospect-2"])
    leased = client.dispatch_leads(campaign, limit=2, lease_seconds=600)
    claim = record_id(leased.claim_id)
    expires = instant(leased.lease_expires_at)
    first, second = leased.leads
    assert [
        (lead.public_identifier, lead.status, lead.claim_id, lead.lease_expires_at)
        for lead in leased.leads
    ] == [
        ("prospect-0", "leased", claim, expires),
        ("prospect-1", "leased", claim, expires),
    ]

    bystander.block_leads([LeadInput(public_identifier="prospect-1", reason="Opted out")])
    gate = client.confirm_claim(campaign, claim, [first.id, second.id, "not-a-lead"])
    done = {"claim_id": None, "lease_expires_at": None}
    assert gate == ConfirmResult(
        confirmed=(replace(first, status="dispatched", **done),),  # type: ignore[arg-type]
        blocked=(
            BlockedClaimLead(
                scope="workspace",
                reason="Opted out",
                expires_at=None,
                lead=replace(
                    second,
                    status="pending",
                    blocked=BlockState(scope="workspace", reason="Opted out", expires_at=None),
                    **done,  # type: ignore[arg-type]
                ),
            ),
        ),
        not_held=("not-a-lead",),
    )

    again = client.dispatch_leads(campaign, lease_seconds=60)
    assert [lead.public_identifier for lead in again.leads] == ["prospect-2"]
    assert again.claim_id is not None
    assert client.release_claim(campaign, again.claim_id) == ReleaseResult(released=1)
    assert client.confirm_claim(campaign, again.claim_id) == ConfirmResult(
        confirmed=(), blocked=(), not_held=()
    )
    statuses = {
        lead.public_identifier: lead.status for lead in client.iter_campaign_leads(campaign)
    }
    assert statuses == {
        "prospect-0": "dispatched",
        "prospect-1": "pending",
        "prospect-2": "pending",
    }
    third = client.dispatch_leads(campaign, lease_seconds=60)
    assert third.claim_id is not None
    assert client.release_claim(campaign, third.claim_id, [third.leads[0].id]) == ReleaseResult(
        released=1
    )


def test_company_blocks(client: Client) -> None:
    answer = client.block_companies(
        [
            CompanyInput(domain="jane@Acme.com", name="Acme", reason="Client"),
            CompanyInput(
                linkedin_company="https://www.linkedin.com/company/globex/", expires_at=FUTURE
            ),
        ]
    )
    acme, globex = answer.companies
    acme_id = record_id(acme.id)
    assert answer == CompanyBlockResult(
        message="2 companies blocked.",
        blocked=2,
        already_blocked=0,
        extended=0,
        duplicates=0,
        companies=(
            CompanyBlock(
                id=record_id(acme.id),
                kind="domain",
                value="acme.com",
                name="Acme",
                reason="Client",
                created_at=instant(acme.created_at),
                expires_at=None,
            ),
            CompanyBlock(
                id=record_id(globex.id),
                kind="linkedinCompany",
                value="globex",
                name=None,
                reason=None,
                created_at=instant(globex.created_at),
                expires_at=FUTURE,
            ),
        ),
    )
    dry = client.block_companies([CompanyInput(domain="initech.com")], dry_run=True)
    initech = dry.companies[0]
    assert dry == CompanyBlockResult(
        message="1 company blocked.",
        blocked=1,
        already_blocked=0,
        extended=0,
        duplicates=0,
        companies=(
            CompanyBlock(
                id=None,
                kind="domain",
                value="initech.com",
                name=None,
                reason=None,
                created_at=instant(initech.created_at),
                expires_at=None,
            ),
        ),
        dry_run=True,
    )
    assert client.get_company_block(acme_id) == acme
    assert client.list_company_blocks(search="ACME") == Page((acme,), 1, None)
    assert client.list_company_blocks(offset=1) == Page((acme,), 2, None)
    assert list(client.iter_company_blocks(limit=1)) == [globex, acme]

    acme = client.update_company_block(acme_id, name=None, expires_at=LATER)
    assert acme == replace(answer.companies[0], name=None, expires_at=LATER)

    # A lead at Acme, by its e-mail's subdomain: stopped by the company block everywhere.
    item = CheckItem(public_identifier="wile-e", email="wile@eu.acme.com")
    assert client.check_leads([item]) == (
        CheckResult(
            input=item,
            public_identifier="wile-e",
            blocked=True,
            scope="company",
            reason="Client",
            blocked_at=acme.created_at,
            expires_at=LATER,
            contactable=False,
            company_block_id=acme.id,
        ),
    )
    campaign = client.create_campaign("companies").id
    client.enrol_leads(
        campaign, [CampaignLeadInput(public_identifier="wile-e", company_domain="acme.com")]
    )
    [lead] = client.list_campaign_leads(campaign).items
    assert lead.blocked == BlockState(
        scope="company", reason="Client", expires_at=LATER, company_block_id=acme.id
    )

    csv = client.export_company_blocks()
    assert csv.splitlines() == [
        "kind,value,name,reason,expiresAt,createdAt,id",
        f"domain,acme.com,,Client,{wire_time(LATER)},{wire_time(acme.created_at)},{acme.id}",
        f"linkedinCompany,globex,,,{wire_time(FUTURE)},{wire_time(globex.created_at)},{globex.id}",
    ]
    rows = "kind,value,name\ndomain,initech.com,Initech\n"
    imported = CompanyImportResult(
        message="1 company blocked from 1 row(s).",
        rows=1,
        blocked=1,
        already_blocked=0,
        extended=0,
        duplicates=0,
    )
    assert client.import_company_blocks(rows, dry_run=True) == replace(imported, dry_run=True)
    assert client.list_company_blocks().total == 2
    assert client.import_company_blocks(rows) == imported
    assert client.list_company_blocks().total == 3

    expected = CompanyUnblockResult(
        message="2 companies unblocked.", unblocked=2, not_found=("no-such-record", "nope.com")
    )
    ids, companies, domains = ["no-such-record"], ["globex"], ["initech.com", "nope.com"]
    dry_unblock = client.unblock_companies(
        ids=ids, linkedin_companies=companies, domains=domains, dry_run=True
    )
    assert dry_unblock == replace(expected, dry_run=True)
    unblocked = client.unblock_companies(ids=ids, linkedin_companies=companies, domains=domains)
    assert unblocked == expected
    assert client.unblock_company(acme_id) is None
    with pytest.raises(NotFoundError):
        client.get_company_block(acme_id)
    assert client.list_company_blocks() == Page((), 0, None)


def test_webhooks(client: Client, receiver: Receiver) -> None:
    path = receiver.new_path()
    created = client.create_webhook(
        receiver.url(path), events=["unblocked", "blocked"], description="CRM sync"
    )
    assert created == WebhookWithSecret(
        id=record_id(created.id),
        url=receiver.url(path),
        events=("blocked", "unblocked"),
        description="CRM sync",
        enabled=True,
        disabled_reason=None,
        created_at=instant(created.created_at),
        failing_since=None,
        next_attempt_at=None,
        secret=shaped(created.secret, SECRET),
    )
    webhook = Webhook(**{k: v for k, v in asdict(created).items() if k != "secret"})
    assert client.get_webhook(webhook.id) == webhook
    assert client.list_webhooks() == (webhook,)

    assert client.update_webhook(webhook.id, enabled=False) == replace(webhook, enabled=False)
    elsewhere = receiver.url(receiver.new_path())
    changed = client.update_webhook(
        webhook.id, url=elsewhere, events=None, description=None, enabled=True
    )
    assert changed == replace(webhook, url=elsewhere, events=(), description=None)
    webhook = changed

    rotated = client.rotate_webhook_secret(webhook.id)
    assert rotated == WebhookWithSecret(**asdict(webhook), secret=shaped(rotated.secret, SECRET))
    assert rotated.secret != created.secret

    delivery = client.test_webhook(webhook.id)
    assert delivery == WebhookDelivery(
        id=record_id(delivery.id),
        event_id=record_id(delivery.event_id),
        type="webhook.test",
        attempt=1,
        status="succeeded",
        response_status=200,
        error=None,
        at=instant(delivery.at),
        next_attempt_at=None,
    )
    assert client.list_webhook_deliveries(webhook.id) == Page((delivery,), 1, None)
    assert list(client.iter_webhook_deliveries(webhook.id, limit=1)) == [delivery]

    assert client.delete_webhook(webhook.id) is None
    with pytest.raises(NotFoundError):
        client.get_webhook(webhook.id)
    assert client.list_webhooks() == ()
