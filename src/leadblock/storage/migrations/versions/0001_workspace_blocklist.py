"""Workspaces, API keys, the workspace blocklist and its audit trail.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    # Keys are looked up by id (the prefix of the key), before the workspace is known.
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Text,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.Text),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
        sa.Column("last_used_at", sa.BigInteger),
    )
    op.create_index("api_keys_workspace", "api_keys", ["workspace_id", "created_at"])
    op.create_table(
        "blocked_leads",
        sa.Column(
            "workspace_id",
            sa.Text,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("public_identifier", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        # str.lower() of reason, so search is case-insensitive beyond ASCII on every backend.
        sa.Column("reason_lower", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "id"),
        sa.UniqueConstraint("workspace_id", "public_identifier", name="blocked_leads_identifier"),
    )
    op.create_index("blocked_leads_created", "blocked_leads", ["workspace_id", "created_at", "id"])
    op.create_table(
        "events",
        sa.Column(
            "workspace_id",
            sa.Text,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.Text),
        sa.Column("public_identifier", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.Text),
        sa.PrimaryKeyConstraint("workspace_id", "id"),
    )
    op.create_index("events_at", "events", ["workspace_id", "at", "id"])
