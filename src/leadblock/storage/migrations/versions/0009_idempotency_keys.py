"""Idempotency keys: the answer of a write sent with an `Idempotency-Key`, kept to answer its
retries.

One row per workspace and key, written in the transaction of the write it answers: the status,
the body's exact bytes, and a fingerprint of the request (method, path, body) that a retry must
match. Rows older than `LEADBLOCK_IDEMPOTENCY_HOURS` are no longer answered and are pruned by
`created_at`.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column(
            "workspace",
            sa.Integer,
            sa.ForeignKey("workspaces.number", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace", "key"),
    )
    op.create_index("idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
