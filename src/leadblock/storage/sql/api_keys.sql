-- name: insert-api-key
INSERT INTO api_keys (id, workspace_id, name, secret_hash, read_only, created_at)
VALUES (:id, :workspace_id, :name, :secret_hash, :read_only, :created_at)

-- name: select-api-key-for-auth
SELECT api_keys.id, workspace_id, workspaces.number AS workspace, secret_hash, read_only,
       revoked_at, last_used_at
FROM api_keys JOIN workspaces ON workspaces.id = api_keys.workspace_id
WHERE api_keys.id = :id

-- name: select-api-keys
SELECT id, workspace_id, name, read_only, created_at, revoked_at, last_used_at
FROM api_keys WHERE workspace_id = :workspace_id ORDER BY created_at, id

-- name: select-api-key
SELECT id, workspace_id, name, read_only, created_at, revoked_at, last_used_at
FROM api_keys WHERE id = :id

-- name: revoke-api-key
UPDATE api_keys SET revoked_at = :revoked_at WHERE id = :id AND revoked_at IS NULL

-- name: touch-api-key
UPDATE api_keys SET last_used_at = :last_used_at WHERE id = :id
