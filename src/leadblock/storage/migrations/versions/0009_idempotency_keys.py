"""Idempotency keys: the answer of a write sent with an `Idempotency-Key`, kept to answer its
retries.

One row per workspace and key, written in the transaction of the write it answers: the status,
the body's exact bytes (deflated from 1 KiB), and a fingerprint of the request (method, path,
query, body) that a retry must match. Rows older than `LEADBLOCK_IDEMPOTENCY_HOURS` are no
longer answered and are pruned by `created_at`.

PostgreSQL gets a function that takes a key's advisory lock and then reads its row, in one round
trip: the read runs after the lock is held, with a snapshot of its own (a VOLATILE function's
statements each take one), so it sees the answer of a request that held the key until a moment
ago. A single statement could not: its snapshot would be taken before the lock.

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
        sa.Column("deflated", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace", "key"),
    )
    op.create_index("idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CLAIM_FUNCTION)


CLAIM_FUNCTION = """
CREATE FUNCTION leadblock_claim_idempotency_key(p_workspace integer, p_key text)
RETURNS TABLE (
  locked boolean, fingerprint text, status integer, body bytea, deflated boolean,
  created_at bigint
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock(p_workspace, hashtext(p_key)) THEN
    RETURN QUERY SELECT false, NULL::text, NULL::integer, NULL::bytea, NULL::boolean, NULL::bigint;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT true, k.fingerprint, k.status, k.body, k.deflated, k.created_at
    FROM (SELECT 1) AS one
    LEFT JOIN idempotency_keys AS k ON k.workspace = p_workspace AND k.key = p_key;
END
$$
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION leadblock_claim_idempotency_key(integer, text)")
    op.drop_index("idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
