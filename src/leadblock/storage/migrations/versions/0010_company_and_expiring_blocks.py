"""Company blocks and expiring blocks.

- Every kind of block may end: `expires_at` (milliseconds, null for a permanent block) on
  `blocked_leads` and `campaign_blocked_leads`, each with a partial index of the expiring ones
  led by the workspace, so finding the blocks due to expire is one short index range.
- `company_blocks`: a LinkedIn company page or an internet domain blocked for the whole
  workspace, unique by (kind, canonical value).
- Campaign leads gain their company (`company_linkedin`, `company_domain`), and
  `campaign_lead_companies` holds every company key of each lead: its LinkedIn company, and
  each domain a domain block of it would match (its company domain, its e-mail's domain, and
  every parent of either). Dispatch probes a lead's keys against the company blocks; the index
  by key counts the leads a company block stops.
- The audit trail's `public_identifier` becomes `subject`, with `subject_kind` telling whether
  it is a lead's identifier, a LinkedIn company or a domain, and events gain the `expires_at`
  of the block they record (a rename and columns with a constant default: no row is rewritten,
  on either engine).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_EXPIRING = sa.text("expires_at IS NOT NULL")


def upgrade() -> None:
    for table in ("blocked_leads", "campaign_blocked_leads"):
        op.add_column(table, sa.Column("expires_at", sa.BigInteger, nullable=True))
        _expiry_index(table)
    op.create_table(
        "company_blocks",
        sa.Column(
            "workspace",
            sa.Integer,
            sa.ForeignKey("workspaces.number", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),  # 'linkedinCompany' or 'domain'
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        # value, name and reason in lower case, for a case-insensitive search
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("workspace", "id"),
        sa.UniqueConstraint("workspace", "kind", "value"),
    )
    _expiry_index("company_blocks")
    op.add_column("campaign_leads", sa.Column("company_linkedin", sa.Text, nullable=True))
    op.add_column("campaign_leads", sa.Column("company_domain", sa.Text, nullable=True))
    op.create_table(
        "campaign_lead_companies",
        sa.Column("workspace", sa.Integer, nullable=False),
        sa.Column("campaign_id", sa.Text, nullable=False),
        sa.Column("lead_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("workspace", "campaign_id", "lead_id", "kind", "value"),
        sa.ForeignKeyConstraint(
            ["workspace", "campaign_id"],
            ["campaigns.workspace", "campaigns.id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "campaign_lead_companies_key",
        "campaign_lead_companies",
        ["workspace", "kind", "value", "campaign_id", "lead_id"],
    )
    op.execute("ALTER TABLE events RENAME COLUMN public_identifier TO subject")
    op.add_column(
        "events",
        sa.Column("subject_kind", sa.Text, nullable=False, server_default="publicIdentifier"),
    )
    op.add_column("events", sa.Column("expires_at", sa.BigInteger, nullable=True))


def _expiry_index(table: str) -> None:
    op.create_index(
        f"{table}_expiry",
        table,
        ["workspace", "expires_at"],
        sqlite_where=_EXPIRING,
        postgresql_where=_EXPIRING,
    )


def downgrade() -> None:
    op.drop_column("events", "expires_at")
    op.drop_column("events", "subject_kind")
    op.execute("ALTER TABLE events RENAME COLUMN subject TO public_identifier")
    op.drop_index("campaign_lead_companies_key", table_name="campaign_lead_companies")
    op.drop_table("campaign_lead_companies")
    op.drop_column("campaign_leads", "company_domain")
    op.drop_column("campaign_leads", "company_linkedin")
    op.drop_index("company_blocks_expiry", table_name="company_blocks")
    op.drop_table("company_blocks")
    for table in ("campaign_blocked_leads", "blocked_leads"):
        op.drop_index(f"{table}_expiry", table_name=table)
        op.drop_column(table, "expires_at")
