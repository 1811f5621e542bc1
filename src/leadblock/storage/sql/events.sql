-- name: count-events
SELECT count(*) FROM events
WHERE workspace_id = :workspace_id
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL OR public_identifier = :public_identifier)

-- name: list-events
SELECT id, type, at, key_id, public_identifier, reason, scope, campaign_id FROM events
WHERE workspace_id = :workspace_id
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL OR public_identifier = :public_identifier)
ORDER BY at DESC, id DESC
LIMIT :limit OFFSET :offset

-- name: list-events-after
SELECT id, type, at, key_id, public_identifier, reason, scope, campaign_id FROM events
WHERE workspace_id = :workspace_id
  AND (at, id) < (:after_at, :after_id)
  AND (CAST(:type AS TEXT) IS NULL OR type = :type)
  AND (CAST(:public_identifier AS TEXT) IS NULL OR public_identifier = :public_identifier)
ORDER BY at DESC, id DESC
LIMIT :limit
