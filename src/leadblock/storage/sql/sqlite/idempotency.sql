-- SQLite runs one writer at a time: a second request with the key waits for the first's commit,
-- then finds its answer.
-- name: lock-idempotency-key
SELECT 1
