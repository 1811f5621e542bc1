-- The key's advisory lock, held until the transaction ends (`locked` false while another
-- transaction, in any server process, holds it), then the key's answer if any, read after the
-- lock was taken (migration 0009). Two-int lock keys: a space apart from the migrations' lock.
-- name: claim-idempotency-key
SELECT locked, fingerprint, status, body, created_at
FROM leadblock_claim_idempotency_key(:workspace, :key)
