"""Webhooks: endpoints per workspace, where each stands in the audit trail, and the log of
every delivery attempt.

An endpoint's position is the (seq, id) of the last event it is done with (delivered, or not
one it subscribes to); it gets the trail's final events after it, in order, one at a time
(`storage.events.final_after`). The head event's failures are counted on the endpoint
(`attempt`, `failing_since`, `next_attempt_at`); a lease (`lease_until`, `leased_by`) lets one
server process at a time deliver to it. The previous secret signs too until
`previous_secret_until` (a rotation's overlap).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column(
            "workspace",
            sa.Integer,
            sa.ForeignKey("workspaces.number", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", sa.Text, nullable=True),  # JSON array; null: every type
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text, nullable=True),
        sa.Column("previous_secret_until", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("position_seq", sa.BigInteger, nullable=False),
        sa.Column("position_id", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failing_since", sa.BigInteger, nullable=True),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
        sa.Column("lease_until", sa.BigInteger, nullable=True),
        sa.Column("leased_by", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("workspace", "id"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("workspace", sa.Integer, nullable=False),
        sa.Column("webhook_id", sa.Text, nullable=False),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),  # 'succeeded' or 'failed'
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("workspace", "webhook_id", "id"),
        sa.ForeignKeyConstraint(
            ["workspace", "webhook_id"],
            ["webhooks.workspace", "webhooks.id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index("webhook_deliveries_at", "webhook_deliveries", ["at"])


def downgrade() -> None:
    op.drop_index("webhook_deliveries_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
