-- Recording a key's last use never waits: a row another transaction holds is skipped (the next
-- request records it).
-- name: touch-api-key
UPDATE api_keys SET last_used_at = :last_used_at
WHERE id = (SELECT id FROM api_keys WHERE id = :id FOR UPDATE SKIP LOCKED)
