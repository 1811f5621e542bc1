-- Set-based statements over a whole request: `:rows` / `:identifiers` / `:ids` are JSON arrays
-- read with json_each, so 10,000 leads cost one statement, not 10,000 round trips.

-- name: insert-blocked-leads
-- rows: [[id, public_identifier, reason, reason_lower], ...]; `WHERE true` keeps SQLite from
-- reading ON CONFLICT as a join constraint of the SELECT.
INSERT INTO blocked_leads (workspace, id, public_identifier, reason, reason_lower, created_at)
SELECT :workspace, value ->> 0, value ->> 1, value ->> 2, value ->> 3, :created_at
FROM json_each(:rows) WHERE true
ON CONFLICT (workspace, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: select-blocked-leads-by-identifiers
SELECT id, public_identifier, reason, created_at FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))

-- name: delete-blocked-leads-by-ids
DELETE FROM blocked_leads
WHERE workspace = :workspace AND id IN (SELECT value FROM json_each(:ids))
RETURNING id, public_identifier, reason, created_at

-- name: delete-blocked-leads-by-identifiers
DELETE FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
RETURNING id, public_identifier, reason, created_at

-- name: insert-events
-- rows: [[id, public_identifier, reason], ...]
INSERT INTO events (workspace, id, type, at, key_id, public_identifier, reason, scope,
                    campaign_id)
SELECT :workspace, value ->> 0, :type, :at, :key_id, value ->> 1, value ->> 2, :scope,
       :campaign_id
FROM json_each(:rows)
