-- name: lock-workspaces
-- Nothing to do: a write transaction (BEGIN IMMEDIATE) already excludes every other writer.
SELECT 1

-- name: lock-workspace-for-deletion
-- Nothing to lock: the deleting write transaction excludes every other writer, and the
-- foreign keys refuse a block or an event of a workspace that is gone.
SELECT number FROM workspaces WHERE number = :workspace

-- name: insert-workspace
-- Numbers are handed out under SQLite's single write lock: max + 1 is never taken twice.
INSERT INTO workspaces (id, number, name, created_at)
VALUES (:id, (SELECT coalesce(max(number), 0) + 1 FROM workspaces), :name, :created_at)
RETURNING number
