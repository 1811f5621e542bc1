-- The key's answer, if any, to a request that holds the key: on SQLite the one writer holds
-- every key already, and a second request with the key waits for the first's commit.
-- name: claim-idempotency-key
SELECT 1 AS locked, k.fingerprint, k.status, k.body, k.created_at
FROM (SELECT 1) AS one
LEFT JOIN idempotency_keys AS k ON k.workspace = :workspace AND k.key = :key
