"""Secrets the servers share, created with the database: the key that signs console sessions.

Kept in the database (not in each server's environment) so every server of a deployment signs
and accepts the same sessions without configuration, and a new database never reuses one.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "server_secrets",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(table, [{"name": "console-session", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("server_secrets")
