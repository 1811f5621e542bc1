"""Dispatch leases: a campaign lead can be held by a claim until its lease ends.

A leased lead keeps the status `pending` in storage, with the claim that holds it and the
instant its lease ends: once that instant has passed it is eligible again with no write at all
(a crashed sender's leads come back by themselves). The pending index gains the lease's end as
its last column, so a dispatch skips leads under a live lease without reading their rows.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_leads") as table:
        table.add_column(sa.Column("claim_id", sa.Text, nullable=True))
        table.add_column(sa.Column("lease_expires_at", sa.BigInteger, nullable=True))
    op.drop_index("campaign_leads_pending", table_name="campaign_leads")
    op.create_index(
        "campaign_leads_pending",
        "campaign_leads",
        ["workspace", "campaign_id", "status", "id", "lease_expires_at"],
    )
    # Confirm and release find a claim's leads by it; only leads ever claimed are indexed. With
    # the status, it matches a confirm's every condition, so no planner prefers the pending
    # index (SQLite did: a confirm of 100 leads then scanned a campaign's 100,000, 21 ms).
    claimed = sa.text("claim_id IS NOT NULL")
    op.create_index(
        "campaign_leads_claim",
        "campaign_leads",
        ["workspace", "campaign_id", "claim_id", "status"],
        sqlite_where=claimed,
        postgresql_where=claimed,
    )


def downgrade() -> None:
    op.drop_index("campaign_leads_claim", table_name="campaign_leads")
    op.drop_index("campaign_leads_pending", table_name="campaign_leads")
    op.create_index(
        "campaign_leads_pending", "campaign_leads", ["workspace", "campaign_id", "status", "id"]
    )
    with op.batch_alter_table("campaign_leads") as table:
        table.drop_column("lease_expires_at")
        table.drop_column("claim_id")
