"""Campaigns, their blocklists and their leads.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column(
            "workspace_id",
            sa.Text,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "id"),
    )
    op.create_index("campaigns_created", "campaigns", ["workspace_id", "created_at", "id"])
    op.create_table(
        "campaign_blocked_leads",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.Text, nullable=False),
        sa.Column("public_identifier", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "campaign_id", "public_identifier"),
        sa.ForeignKeyConstraint(
            ["workspace_id", "campaign_id"],
            ["campaigns.workspace_id", "campaigns.id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "campaign_blocked_leads_created",
        "campaign_blocked_leads",
        ["workspace_id", "campaign_id", "created_at", "public_identifier"],
    )
    op.create_table(
        "campaign_leads",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.Text, nullable=False),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("public_identifier", sa.Text, nullable=False),
        sa.Column("first_name", sa.Text),
        sa.Column("last_name", sa.Text),
        sa.Column("company_name", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("dispatched_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("workspace_id", "campaign_id", "id"),
        sa.UniqueConstraint(
            "workspace_id", "campaign_id", "public_identifier", name="campaign_leads_identifier"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "campaign_id"],
            ["campaigns.workspace_id", "campaigns.id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "campaign_leads_created",
        "campaign_leads",
        ["workspace_id", "campaign_id", "created_at", "id"],
    )
    # Dispatch walks the pending leads of a campaign in enrolment order.
    op.create_index(
        "campaign_leads_pending",
        "campaign_leads",
        ["workspace_id", "campaign_id", "status", "created_at", "id"],
    )
