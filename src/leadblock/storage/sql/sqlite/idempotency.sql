-- The key's answer, if any, to a request that holds the key: on SQLite the one writer holds
-- every key already, and a second request with the key waits for the first's commit.
-- name: claim-idempotency-key
SELECT 1 AS locked, k.fingerprint, k.status, k.body, k.deflated, k.created_at
FROM (SELECT 1) AS one
LEFT JOIN idempotency_keys AS k ON k.workspace = :workspace AND k.key = :key

-- The API key's row for its verification and the claim above, in one statement. Not used on
-- SQLite: a write's key is verified on the event loop, its claim made in the writer's
-- transaction (`api/unit.py`).
-- name: claim-idempotency-key-verifying-api-key
SELECT api_keys.id, workspace_id, workspaces.number AS workspace, secret_hash, read_only,
       revoked_at, last_used_at, 1 AS locked, k.fingerprint, k.status, k.body, k.deflated,
       k.created_at
FROM api_keys JOIN workspaces ON workspaces.id = api_keys.workspace_id
LEFT JOIN idempotency_keys AS k ON k.workspace = workspaces.number AND k.key = :key
WHERE api_keys.id = :api_key_id

-- A batch of expired answers, oldest first by the created_at index.
-- name: delete-expired-idempotency-keys
DELETE FROM idempotency_keys WHERE rowid IN (
  SELECT rowid FROM idempotency_keys WHERE created_at < :before ORDER BY created_at LIMIT :limit
)
