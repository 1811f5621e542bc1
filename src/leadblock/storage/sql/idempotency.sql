-- name: select-idempotency-key
SELECT fingerprint, status, body, deflated, created_at FROM idempotency_keys
WHERE workspace = :workspace AND key = :key

-- An expired row of the same key (not yet pruned) is replaced.
-- name: upsert-idempotency-key
INSERT INTO idempotency_keys (workspace, key, fingerprint, status, body, deflated, created_at)
VALUES (:workspace, :key, :fingerprint, :status, :body, :deflated, :created_at)
ON CONFLICT (workspace, key) DO UPDATE SET
  fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
  deflated = excluded.deflated, created_at = excluded.created_at
