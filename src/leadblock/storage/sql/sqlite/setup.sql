-- name: lock-workspaces
-- Nothing to do: a write transaction (BEGIN IMMEDIATE) already excludes every other writer.
SELECT 1
