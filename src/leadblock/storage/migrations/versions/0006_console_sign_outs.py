"""Console sessions signed out before they expire.

A console session is a signed cookie; signing out must end it on the server too, not only in
the browser that held it. Each row names one session (its random nonce) until the session
would have expired anyway, after which it is pruned.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sign_outs",
        sa.Column("nonce", sa.Text, primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("console_sign_outs_expiry", "console_sign_outs", ["expires_at"])


def downgrade() -> None:
    op.drop_table("console_sign_outs")
