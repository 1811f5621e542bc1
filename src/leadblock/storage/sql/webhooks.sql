-- name: insert-webhook
INSERT INTO webhooks (workspace, id, url, event_types, description, enabled, secret,
                      created_at, position_seq, position_id, attempt)
VALUES (:workspace, :id, :url, :event_types, :description, TRUE, :secret, :created_at,
        :position_seq, :position_id, 0)

-- name: select-webhook
SELECT id, url, event_types, description, enabled, disabled_reason, secret, previous_secret,
       previous_secret_until, created_at, position_seq, position_id, attempt, failing_since,
       next_attempt_at, leased_by
FROM webhooks WHERE workspace = :workspace AND id = :id

-- name: list-webhooks
SELECT id, url, event_types, description, enabled, disabled_reason, secret, previous_secret,
       previous_secret_until, created_at, position_seq, position_id, attempt, failing_since,
       next_attempt_at, leased_by
FROM webhooks WHERE workspace = :workspace ORDER BY id

-- name: count-webhooks
SELECT count(*) FROM webhooks WHERE workspace = :workspace

-- A PATCH: what it names. Enabling an endpoint gives its head event a clean slate (it is tried
-- at once); the lease is left alone, so a delivery running now ends at its next step.
-- name: update-webhook
UPDATE webhooks
SET url = :url, event_types = :event_types, description = :description, enabled = :enabled,
    disabled_reason = CASE WHEN :enabled THEN NULL ELSE disabled_reason END,
    attempt = CASE WHEN :restart THEN 0 ELSE attempt END,
    failing_since = CASE WHEN :restart THEN NULL ELSE failing_since END,
    next_attempt_at = CASE WHEN :restart THEN NULL ELSE next_attempt_at END
WHERE workspace = :workspace AND id = :id

-- name: rotate-webhook-secret
UPDATE webhooks
SET previous_secret = secret, previous_secret_until = :previous_until, secret = :secret
WHERE workspace = :workspace AND id = :id

-- name: delete-webhook
DELETE FROM webhooks WHERE workspace = :workspace AND id = :id

-- name: delete-webhook-deliveries
DELETE FROM webhook_deliveries WHERE workspace = :workspace AND webhook_id = :id

-- Endpoints that may have an event to deliver now: enabled, not leased, not waiting for a
-- retry, with an event after their position (final or not yet: the delivery reads the final).
-- name: any-webhook-due
SELECT 1 FROM webhooks
WHERE enabled AND (lease_until IS NULL OR lease_until < :now)
  AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
  AND EXISTS (SELECT 1 FROM events
              WHERE events.workspace = webhooks.workspace
                AND (events.seq, events.id) > (webhooks.position_seq, webhooks.position_id))
LIMIT 1

-- Delivered up to :position_seq/:position_id (and the lease renewed): the head event's failures
-- are forgotten. Only while :leased_by holds the lease, the endpoint is enabled and its URL is
-- still :url; none touched: the delivery stops.
-- name: advance-webhook
UPDATE webhooks
SET position_seq = :position_seq, position_id = :position_id, attempt = 0,
    failing_since = NULL, next_attempt_at = NULL, lease_until = :lease_until
WHERE workspace = :workspace AND id = :id AND leased_by = :leased_by AND enabled
  AND url = :url

-- The head event failed once more: tried again at :next_attempt_at, or, with a
-- :disabled_reason, the endpoint is disabled. The lease ends.
-- name: fail-webhook
UPDATE webhooks
SET attempt = attempt + 1, failing_since = coalesce(failing_since, :now),
    next_attempt_at = :next_attempt_at,
    enabled = CASE WHEN CAST(:disabled_reason AS TEXT) IS NULL THEN enabled ELSE FALSE END,
    disabled_reason = coalesce(:disabled_reason, disabled_reason),
    lease_until = NULL, leased_by = NULL
WHERE workspace = :workspace AND id = :id AND leased_by = :leased_by

-- name: release-webhook
UPDATE webhooks SET lease_until = NULL, leased_by = NULL
WHERE workspace = :workspace AND id = :id AND leased_by = :leased_by

-- An attempt, logged while its endpoint exists (one deleted meanwhile has no log).
-- name: insert-webhook-delivery
INSERT INTO webhook_deliveries (workspace, webhook_id, id, event_id, type, attempt, status,
                                response_status, error, at, next_attempt_at)
SELECT :workspace, :webhook_id, :id, :event_id, :type, :attempt, :status,
       CAST(:response_status AS INTEGER), CAST(:error AS TEXT), :at,
       CAST(:next_attempt_at AS BIGINT)
WHERE EXISTS (SELECT 1 FROM webhooks WHERE workspace = :workspace AND id = :webhook_id)

-- The endpoint's attempts, newest first, from the start or after a cursor's id.
-- name: list-webhook-deliveries
SELECT id, event_id, type, attempt, status, response_status, error, at, next_attempt_at
FROM webhook_deliveries
WHERE workspace = :workspace AND webhook_id = :webhook_id
  AND (CAST(:after_id AS TEXT) IS NULL OR id < :after_id)
ORDER BY id DESC
LIMIT :limit

-- name: count-webhook-deliveries
SELECT count(*) FROM webhook_deliveries WHERE workspace = :workspace AND webhook_id = :webhook_id

-- name: prune-webhook-deliveries
DELETE FROM webhook_deliveries
WHERE (workspace, webhook_id, id) IN (
    SELECT workspace, webhook_id, id FROM webhook_deliveries WHERE at < :before LIMIT :limit)

-- The operators' view over every workspace (/metrics): each endpoint's state and, for an
-- enabled one, how many events it has yet to go through (counted up to :cap) and when the first
-- of them was recorded.
-- name: webhook-queue
SELECT enabled, failing_since IS NOT NULL AS failing,
       CASE WHEN enabled THEN
           (SELECT count(*) FROM (
                SELECT 1 FROM events
                WHERE events.workspace = webhooks.workspace
                  AND (events.seq, events.id) > (webhooks.position_seq, webhooks.position_id)
                LIMIT :cap) AS pending)
       ELSE 0 END AS backlog,
       CASE WHEN enabled THEN
           (SELECT events.at FROM events
            WHERE events.workspace = webhooks.workspace
              AND (events.seq, events.id) > (webhooks.position_seq, webhooks.position_id)
            ORDER BY events.seq, events.id
            LIMIT 1)
       END AS oldest_at
FROM webhooks
