-- Set-based statements over a whole request: `:rows` / `:identifiers` / `:ids` are JSON arrays
-- read with json_each, so 10,000 leads cost one statement, not 10,000 round trips.

-- name: insert-blocked-leads
-- rows: [[id, public_identifier, reason, reason_lower, expires_at], ...], sorted by identifier;
-- `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT. The
-- gateway then counts the blocks inserted and records their events (PostgreSQL's statement of
-- this name does all three).
INSERT INTO blocked_leads (workspace, id, public_identifier, reason, reason_lower, created_at,
                           expires_at)
SELECT :workspace, value ->> 0, value ->> 1, value ->> 2, value ->> 3, :created_at, value ->> 4
FROM json_each(:rows) WHERE true
ON CONFLICT (workspace, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: select-blocked-leads-by-identifiers
SELECT id, public_identifier, reason, created_at, expires_at FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))

-- name: delete-blocked-leads-by-ids
DELETE FROM blocked_leads
WHERE workspace = :workspace AND id IN (SELECT value FROM json_each(:ids))
RETURNING id, public_identifier, reason, created_at, expires_at

-- name: delete-blocked-leads-by-identifiers
DELETE FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
RETURNING id, public_identifier, reason, created_at, expires_at

-- name: insert-events
-- rows: [[id, subject, reason, expires_at], ...]
INSERT INTO events (workspace, seq, id, type, at, key_id, subject_kind, subject, reason,
                    expires_at, scope, campaign_id)
SELECT :workspace, :seq,
       value ->> 0, :type, :at, :key_id, :subject_kind, value ->> 1, value ->> 2, value ->> 3, :scope,
       :campaign_id
FROM json_each(:rows)

-- name: extend-blocked-leads
-- rows: [[id, expires_at or null], ...]: each block's expiry moves to the later of the two
-- (null, permanent, is the latest); a block that is permanent already stays as it is.
UPDATE blocked_leads SET expires_at = extension.value ->> 1
FROM json_each(:rows) AS extension
WHERE blocked_leads.workspace = :workspace AND blocked_leads.id = extension.value ->> 0
  AND blocked_leads.expires_at IS NOT NULL
  AND (extension.value ->> 1 IS NULL OR extension.value ->> 1 > blocked_leads.expires_at)
RETURNING id, expires_at

-- name: next-event-seq
-- The `seq` of the events a statement is about to record (0011): the single writer makes
-- "one more than the largest" final. Read apart, not inside the insert: an insert that reads
-- its own table goes through a temporary copy of every row.
SELECT coalesce(max(seq), 0) + 1 FROM events WHERE workspace = :workspace

-- name: event-horizon
-- Every event below this `seq` is final: no later commit can record one before it. With one
-- writer at a time, every committed event is.
SELECT coalesce(max(seq), 0) + 1 FROM events WHERE workspace = :workspace
