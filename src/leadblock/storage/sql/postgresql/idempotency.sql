-- Held until the transaction ends; false while another transaction holds the key (in any
-- server process): that request is still running. Two-int keys: a space apart from the
-- migrations' one-bigint lock.
-- name: lock-idempotency-key
SELECT pg_try_advisory_xact_lock(:workspace, hashtext(:key))
