-- name: select-blocked-lead
SELECT id, public_identifier, reason, created_at FROM blocked_leads
WHERE workspace_id = :workspace_id AND id = :id

-- name: count-blocked-leads
SELECT count(*) FROM blocked_leads
WHERE workspace_id = :workspace_id
  AND (CAST(:pattern AS TEXT) IS NULL
       OR public_identifier LIKE :pattern ESCAPE '\'
       OR reason_lower LIKE :pattern ESCAPE '\')

-- The four list queries are one keyset walk of (created_at, id), in both directions, from the
-- start or after a cursor; kept apart so each one seeks the blocked_leads_created index.
-- name: list-blocked-leads-asc
SELECT id, public_identifier, reason, created_at FROM blocked_leads
WHERE workspace_id = :workspace_id
  AND (CAST(:pattern AS TEXT) IS NULL
       OR public_identifier LIKE :pattern ESCAPE '\'
       OR reason_lower LIKE :pattern ESCAPE '\')
ORDER BY created_at, id
LIMIT :limit OFFSET :offset

-- name: list-blocked-leads-desc
SELECT id, public_identifier, reason, created_at FROM blocked_leads
WHERE workspace_id = :workspace_id
  AND (CAST(:pattern AS TEXT) IS NULL
       OR public_identifier LIKE :pattern ESCAPE '\'
       OR reason_lower LIKE :pattern ESCAPE '\')
ORDER BY created_at DESC, id DESC
LIMIT :limit OFFSET :offset

-- name: list-blocked-leads-asc-after
SELECT id, public_identifier, reason, created_at FROM blocked_leads
WHERE workspace_id = :workspace_id
  AND (created_at, id) > (:after_at, :after_id)
  AND (CAST(:pattern AS TEXT) IS NULL
       OR public_identifier LIKE :pattern ESCAPE '\'
       OR reason_lower LIKE :pattern ESCAPE '\')
ORDER BY created_at, id
LIMIT :limit

-- name: list-blocked-leads-desc-after
SELECT id, public_identifier, reason, created_at FROM blocked_leads
WHERE workspace_id = :workspace_id
  AND (created_at, id) < (:after_at, :after_id)
  AND (CAST(:pattern AS TEXT) IS NULL
       OR public_identifier LIKE :pattern ESCAPE '\'
       OR reason_lower LIKE :pattern ESCAPE '\')
ORDER BY created_at DESC, id DESC
LIMIT :limit

-- name: update-blocked-lead-reason
UPDATE blocked_leads SET reason = :reason, reason_lower = :reason_lower
WHERE workspace_id = :workspace_id AND id = :id

-- The running count kept by every statement that adds or removes blocked leads, spread over
-- slot rows so concurrent writers of one workspace rarely wait for each other (0004).
-- name: add-to-blocked-leads-count
INSERT INTO blocked_lead_counts (workspace_id, slot, count) VALUES (:workspace_id, :slot, :delta)
ON CONFLICT (workspace_id, slot) DO UPDATE SET count = blocked_lead_counts.count + :delta

-- name: select-blocked-leads-count
SELECT coalesce(sum(count), 0) FROM blocked_lead_counts WHERE workspace_id = :workspace_id

-- name: export-blocked-leads
-- Export order (oldest first) by keyset; the columns in the CSV's order. Start with
-- after_at = -1.
SELECT public_identifier, reason, created_at, id FROM blocked_leads
WHERE workspace_id = :workspace_id AND (created_at, id) > (:after_at, :after_id)
ORDER BY created_at, id
LIMIT :limit
