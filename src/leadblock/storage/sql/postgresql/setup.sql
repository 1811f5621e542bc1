-- name: lock-workspaces
-- Servers started together on an empty database create one first workspace, not one each.
SELECT pg_advisory_xact_lock(7240114)
