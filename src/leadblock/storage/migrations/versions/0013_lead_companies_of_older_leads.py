"""The company keys of leads enrolled before company blocks existed.

Migration 0010 created `campaign_lead_companies` empty. Leads enrolled before it carry an
e-mail address but none of its keys, so dispatch (which matches company blocks through that
table) handed out a lead whose e-mail domain a domain block covers, while the leads list and
confirm, which read the company from the e-mail itself, called it blocked. This fills in the
keys of every such lead: its e-mail's domain and each parent of it, as enrolment writes them
(`domain.companies.company_keys`; leads of those days have no company fields). Rows already
there are kept, so a database enrolled since 0010 gains only what it lacked.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from leadblock.domain.companies import Company, company_keys, email_domain

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 10_000

_LEADS_AFTER = sa.text(
    """
    SELECT workspace, campaign_id, id, email FROM campaign_leads
    WHERE email IS NOT NULL AND (workspace, campaign_id, id) > (:workspace, :campaign_id, :id)
    ORDER BY workspace, campaign_id, id
    LIMIT :batch
    """
)
_INSERT_KEY = sa.text(
    """
    INSERT INTO campaign_lead_companies (workspace, campaign_id, lead_id, kind, value)
    VALUES (:workspace, :campaign_id, :lead_id, :kind, :value)
    ON CONFLICT DO NOTHING
    """
)


def upgrade() -> None:
    connection = op.get_bind()
    after = {"workspace": -1, "campaign_id": "", "id": ""}
    while leads := connection.execute(_LEADS_AFTER, {**after, "batch": BATCH}).all():
        keys = [
            {
                "workspace": workspace,
                "campaign_id": campaign_id,
                "lead_id": lead_id,
                "kind": kind.value,
                "value": value,
            }
            for workspace, campaign_id, lead_id, email in leads
            for kind, value in company_keys(Company(email_domain=email_domain(email)))
        ]
        if keys:
            connection.execute(_INSERT_KEY, keys)
        workspace, campaign_id, lead_id, _email = leads[-1]
        after = {"workspace": workspace, "campaign_id": campaign_id, "id": lead_id}


def downgrade() -> None:
    """Nothing to undo: 0010's downgrade drops the table with every key in it."""
