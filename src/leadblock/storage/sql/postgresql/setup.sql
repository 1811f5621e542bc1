-- name: lock-workspaces
-- Servers started together on an empty database create one first workspace, not one each.
SELECT pg_advisory_xact_lock(7240114)

-- name: lock-workspace-for-deletion
-- Taken before any row goes: it waits for the writers whose new blocks or events locked the
-- workspace (`leadblock_require_workspaces`, 0014) to commit, so their rows are deleted too,
-- and makes every later writer wait, then fail as the workspace is gone.
SELECT number FROM workspaces WHERE number = :workspace FOR UPDATE

-- name: insert-workspace
-- The number comes from the column's identity sequence.
INSERT INTO workspaces (id, name, created_at) VALUES (:id, :name, :created_at)
RETURNING number
