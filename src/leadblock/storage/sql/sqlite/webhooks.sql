-- name: lease-due-webhooks
-- Endpoints to deliver to now (as any-webhook-due), leased to :leased_by until :lease_until
-- (the single writer hands each to one process).
UPDATE webhooks SET lease_until = :lease_until, leased_by = :leased_by
WHERE (workspace, id) IN (
    SELECT workspace, id FROM webhooks
    WHERE enabled AND (lease_until IS NULL OR lease_until < :now)
      AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
      AND EXISTS (SELECT 1 FROM events
                  WHERE events.workspace = webhooks.workspace
                    AND (events.seq, events.id) > (webhooks.position_seq, webhooks.position_id))
    LIMIT :limit)
RETURNING workspace, id
