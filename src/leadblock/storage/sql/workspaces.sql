-- name: select-workspaces
SELECT id, number, name, created_at FROM workspaces ORDER BY created_at, id

-- name: select-workspace
SELECT id, number, name, created_at FROM workspaces WHERE id = :id

-- name: count-workspaces
SELECT count(*) FROM workspaces

-- Deleting a workspace: children first, each statement counted. (Foreign keys cascade too;
-- explicit statements give the counts a data-subject answer needs.)
-- name: delete-workspace-events
DELETE FROM events WHERE workspace = :workspace

-- name: delete-workspace-idempotency-keys
DELETE FROM idempotency_keys WHERE workspace = :workspace

-- name: delete-workspace-campaign-leads
DELETE FROM campaign_leads WHERE workspace = :workspace

-- name: delete-workspace-campaign-blocks
DELETE FROM campaign_blocked_leads WHERE workspace = :workspace

-- name: delete-workspace-campaigns
DELETE FROM campaigns WHERE workspace = :workspace

-- name: delete-workspace-blocked-lead-counts
DELETE FROM blocked_lead_counts WHERE workspace = :workspace

-- name: delete-workspace-blocked-leads
DELETE FROM blocked_leads WHERE workspace = :workspace

-- name: delete-workspace-api-keys
DELETE FROM api_keys WHERE workspace_id = :workspace_id

-- name: delete-workspace
DELETE FROM workspaces WHERE id = :workspace_id

-- name: select-server-secret
SELECT value FROM server_secrets WHERE name = :name
