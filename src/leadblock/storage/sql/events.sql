-- name: count-events
SELECT count(*) FROM events
WHERE workspace = :workspace
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL OR public_identifier = :public_identifier)

-- name: list-events
SELECT id, type, at, key_id, public_identifier, reason, scope, campaign_id FROM events
WHERE workspace = :workspace
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL OR public_identifier = :public_identifier)
ORDER BY id DESC
LIMIT :limit OFFSET :offset

-- name: list-events-after
SELECT id, type, at, key_id, public_identifier, reason, scope, campaign_id FROM events
WHERE workspace = :workspace
  AND id < :after_id
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL OR public_identifier = :public_identifier)
ORDER BY id DESC
LIMIT :limit

-- name: count-events-per-day
-- Blocks and unblocks per UTC day from the first id issued at the first day (ids start with
-- their time), both scopes.
SELECT at / 86400000 AS day, type, count(*) AS events FROM events
WHERE workspace = :workspace AND id >= :since_id AND type IN ('blocked', 'unblocked')
GROUP BY at / 86400000, type
