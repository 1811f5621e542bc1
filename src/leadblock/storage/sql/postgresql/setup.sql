-- name: lock-workspaces
-- Servers started together on an empty database create one first workspace, not one each.
SELECT pg_advisory_xact_lock(7240114)

-- name: insert-workspace
-- The number comes from the column's identity sequence.
INSERT INTO workspaces (id, name, created_at) VALUES (:id, :name, :created_at)
RETURNING number
