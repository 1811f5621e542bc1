-- name: lock-workspaces
-- Nothing to do: a write transaction (BEGIN IMMEDIATE) already excludes every other writer.
SELECT 1

-- name: insert-workspace
-- Numbers are handed out under SQLite's single write lock: max + 1 is never taken twice.
INSERT INTO workspaces (id, number, name, created_at)
VALUES (:id, (SELECT coalesce(max(number), 0) + 1 FROM workspaces), :name, :created_at)
RETURNING number
