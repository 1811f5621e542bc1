-- name: count-events
SELECT count(*) FROM events
WHERE workspace = :workspace
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL
       OR (subject = :public_identifier AND subject_kind = 'publicIdentifier'))

-- The trail, newest first in its stable order (seq, then id: 0011), from the start or after a
-- cursor's (seq, id).
-- name: list-events
SELECT seq, id, type, at, key_id, subject_kind, subject, reason, expires_at, scope, campaign_id
FROM events
WHERE workspace = :workspace
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL
       OR (subject = :public_identifier AND subject_kind = 'publicIdentifier'))
ORDER BY seq DESC, id DESC
LIMIT :limit OFFSET :offset

-- name: list-events-after
SELECT seq, id, type, at, key_id, subject_kind, subject, reason, expires_at, scope, campaign_id
FROM events
WHERE workspace = :workspace
  AND (seq, id) < (:after_seq, :after_id)
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL
       OR (subject = :public_identifier AND subject_kind = 'publicIdentifier'))
ORDER BY seq DESC, id DESC
LIMIT :limit

-- name: count-events-per-day
-- Blocks and unblocks per UTC day from the first id issued at the first day (ids start with
-- their time), every scope; an expiry is an unblock.
SELECT at / 86400000 AS day,
       CASE type WHEN 'expired' THEN 'unblocked' ELSE type END AS type, count(*) AS events
FROM events
WHERE workspace = :workspace AND id >= :since_id AND type IN ('blocked', 'unblocked', 'expired')
GROUP BY at / 86400000, CASE type WHEN 'expired' THEN 'unblocked' ELSE type END

-- The final events after a (seq, id) position, oldest first: what a webhook delivers next.
-- name: list-final-events-after
SELECT seq, id, type, at, key_id, subject_kind, subject, reason, expires_at, scope, campaign_id
FROM events
WHERE workspace = :workspace
  AND (seq, id) > (:after_seq, :after_id)
  AND seq < :horizon
ORDER BY seq, id
LIMIT :limit

-- The last final event: where an endpoint created now starts (it gets every event after).
-- name: last-final-event
SELECT seq, id FROM events
WHERE workspace = :workspace AND seq < :horizon
ORDER BY seq DESC, id DESC
LIMIT 1
