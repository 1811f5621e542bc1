"""A running count of each workspace's blocked leads, for X-Total-Count without a scan.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "workspaces",
        sa.Column("blocked_leads_count", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE workspaces SET blocked_leads_count = "
        "(SELECT count(*) FROM blocked_leads WHERE blocked_leads.workspace_id = workspaces.id)"
    )


def downgrade() -> None:
    op.drop_column("workspaces", "blocked_leads_count")
