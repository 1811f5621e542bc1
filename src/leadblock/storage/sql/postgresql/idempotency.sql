-- The key's advisory lock, held until the transaction ends (`locked` false while another
-- transaction, in any server process, holds it), then the key's answer if any, read after the
-- lock was taken (migration 0009). Two-int lock keys: a space apart from the migrations' lock.
-- name: claim-idempotency-key
SELECT locked, fingerprint, status, body, deflated, created_at
FROM leadblock_claim_idempotency_key(:workspace, :key)

-- A batch of expired answers; rows another server's prune holds are left to it.
-- name: delete-expired-idempotency-keys
DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
  SELECT ctid FROM idempotency_keys WHERE created_at < :before
  ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED
))

-- The API key's row for its verification (select-api-key-for-auth) and, in the same round
-- trip, the claim of an Idempotency-Key of its workspace (claim-idempotency-key). A key that
-- then fails its verification rolls the transaction back, and the lock with it.
-- name: claim-idempotency-key-verifying-api-key
SELECT api_keys.id, workspace_id, workspaces.number AS workspace, secret_hash, read_only,
       revoked_at, last_used_at, claim.locked, claim.fingerprint, claim.status, claim.body,
       claim.deflated, claim.created_at
FROM api_keys JOIN workspaces ON workspaces.id = api_keys.workspace_id
CROSS JOIN LATERAL leadblock_claim_idempotency_key(workspaces.number, :key) AS claim
WHERE api_keys.id = :api_key_id
