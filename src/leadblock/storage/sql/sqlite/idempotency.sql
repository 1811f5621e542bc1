-- The key's answer, if any, to a request that holds the key: on SQLite the one writer holds
-- every key already, and a second request with the key waits for the first's commit.
-- name: claim-idempotency-key
SELECT 1 AS locked, k.fingerprint, k.status, k.body, k.deflated, k.created_at
FROM (SELECT 1) AS one
LEFT JOIN idempotency_keys AS k ON k.workspace = :workspace AND k.key = :key

-- A batch of expired answers, oldest first by the created_at index.
-- name: delete-expired-idempotency-keys
DELETE FROM idempotency_keys WHERE rowid IN (
  SELECT rowid FROM idempotency_keys WHERE created_at < :before ORDER BY created_at LIMIT :limit
)
