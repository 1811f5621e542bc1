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
