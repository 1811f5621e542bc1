"""The audit trail's order becomes one that no later commit can change: `seq`.

An event's id starts with the time its server took for the write; two transactions can commit
in the other order than their ids (on PostgreSQL with many servers, or several SQLite
processes). The trail is ordered by `seq`, then id, where `seq` is on PostgreSQL the writing
transaction's id (xid8: an older transaction has a smaller one, and once the oldest transaction
still running is past it, none can ever appear below it), and on SQLite, whose writers hold the
database one at a time, one more than the workspace's largest so far. Webhooks deliver in this
order, each event only once no transaction that could precede it is still running. Existing
events get 0 and keep their order by id.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"))
    op.create_index("events_sequence", "events", ["workspace", "seq", "id"])


def downgrade() -> None:
    op.drop_index("events_sequence", table_name="events")
    op.drop_column("events", "seq")
