-- name: lease-due-webhooks
-- Endpoints to deliver to now (as any-webhook-due), leased to :leased_by until :lease_until.
-- SKIP LOCKED: servers leasing at once take different endpoints without waiting for each other.
WITH due AS (
    SELECT workspace, id FROM webhooks
    WHERE enabled AND (lease_until IS NULL OR lease_until < :now)
      AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
      AND EXISTS (SELECT 1 FROM events
                  WHERE events.workspace = webhooks.workspace
                    AND (events.seq, events.id) > (webhooks.position_seq, webhooks.position_id))
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE webhooks SET lease_until = :lease_until, leased_by = :leased_by
FROM due
WHERE webhooks.workspace = due.workspace AND webhooks.id = due.id
RETURNING webhooks.workspace, webhooks.id
