"""PostgreSQL: the workspace of new blocks and events checked once per statement, not per row.

A foreign key checks each inserted row by itself: PostgreSQL's trigger looks up and locks the
parent row once per row. On the two tables every block writes, `blocked_leads` and `events`,
that was 4 µs a row each: 8.5 s of a 1,000,000-row import's 28 s of publishing, 64 ms of a
10,000-lead write's 200 ms statement (docs/performance.md).

Their foreign keys to `workspaces` become one statement-level trigger each: after an insert,
`leadblock_require_workspaces` takes the distinct workspaces of the statement's new rows (its
transition table), locks each parent row `FOR KEY SHARE` (as the foreign key did) and refuses
the statement with `foreign_key_violation` when one does not exist. The guarantee is the one
the foreign key gave: no block or event outlives its workspace. A deletion locks the workspace
row first (`lock-workspace-for-deletion`), so it waits for writers already holding the lock and
every later writer waits for it, then finds the workspace gone and fails.

The rows are only inserted, never moved to another workspace, and a workspace's deletion
removes them itself (`delete-workspace-*`): the foreign key's `ON DELETE CASCADE` had nothing
left to do. SQLite checks a foreign key in well under a microsecond a row (measured at par with
none) and keeps them.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("blocked_leads", "events")

REQUIRE_WORKSPACES = """
CREATE FUNCTION leadblock_require_workspaces() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  missing integer;
BEGIN
  SELECT new_rows.workspace INTO missing
  FROM (SELECT DISTINCT workspace FROM new_rows) AS new_rows
  WHERE NOT EXISTS (
    SELECT 1 FROM workspaces WHERE workspaces.number = new_rows.workspace FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = format('workspace %s does not exist (insert into %s)', missing, TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END
$$
"""

# Constraint names came from the tables' creation under other names (0007): looked up.
DROP_FOREIGN_KEYS = """
DO $$
DECLARE
  constraint_row record;
BEGIN
  FOR constraint_row IN
    SELECT conrelid::regclass AS table_name, conname FROM pg_constraint
    WHERE conrelid = '{table}'::regclass AND contype = 'f'
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', constraint_row.table_name,
                   constraint_row.conname);
  END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REQUIRE_WORKSPACES)
    for table in TABLES:
        op.execute(DROP_FOREIGN_KEYS.replace("{table}", table))
        op.execute(
            f"CREATE TRIGGER {table}_workspace AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION leadblock_require_workspaces()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_workspace ON {table}")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_workspace_fkey FOREIGN KEY (workspace) "
            "REFERENCES workspaces (number) ON DELETE CASCADE"
        )
    op.execute("DROP FUNCTION leadblock_require_workspaces()")
