-- name: select-workspaces
SELECT id, number, name, created_at FROM workspaces ORDER BY created_at, id

-- name: select-workspace
SELECT id, number, name, created_at FROM workspaces WHERE id = :id

-- The workspaces with a block of any kind whose expiry has passed: one probe of each partial
-- index of expiring blocks (0010) per workspace.
-- name: select-workspaces-with-blocks-due
SELECT number FROM workspaces AS workspace
WHERE EXISTS (
        SELECT 1 FROM blocked_leads AS block
        WHERE block.workspace = workspace.number
          AND block.expires_at IS NOT NULL AND block.expires_at <= :now)
   OR EXISTS (
        SELECT 1 FROM campaign_blocked_leads AS block
        WHERE block.workspace = workspace.number
          AND block.expires_at IS NOT NULL AND block.expires_at <= :now)
   OR EXISTS (
        SELECT 1 FROM company_blocks AS block
        WHERE block.workspace = workspace.number
          AND block.expires_at IS NOT NULL AND block.expires_at <= :now)
ORDER BY number

-- name: count-workspaces
SELECT count(*) FROM workspaces

-- Deleting a workspace: children first, each statement counted. (Foreign keys cascade too;
-- explicit statements give the counts a data-subject answer needs.)
-- name: delete-workspace-webhook-deliveries
DELETE FROM webhook_deliveries WHERE workspace = :workspace

-- name: delete-workspace-webhooks
DELETE FROM webhooks WHERE workspace = :workspace

-- name: delete-workspace-events
DELETE FROM events WHERE workspace = :workspace

-- name: delete-workspace-idempotency-keys
DELETE FROM idempotency_keys WHERE workspace = :workspace

-- name: delete-workspace-campaign-lead-companies
DELETE FROM campaign_lead_companies WHERE workspace = :workspace

-- name: delete-workspace-campaign-leads
DELETE FROM campaign_leads WHERE workspace = :workspace

-- name: delete-workspace-campaign-blocks
DELETE FROM campaign_blocked_leads WHERE workspace = :workspace

-- name: delete-workspace-campaigns
DELETE FROM campaigns WHERE workspace = :workspace

-- name: delete-workspace-company-blocks
DELETE FROM company_blocks WHERE workspace = :workspace

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
