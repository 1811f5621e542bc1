-- Set-based statements over a whole request: `:rows` / `:identifiers` / `:ids` are JSON arrays
-- (the same parameters as on SQLite) unpacked with jsonb_array_elements.
--
-- Lookups take `= ANY(ARRAY(…))`, not `IN (SELECT …)`: the plans are generic, and for the
-- subquery the planner guessed 100 values and, in a workspace of 10,000 blocks, hash-joined
-- them with a scan of the whole workspace, even for one identifier (1 ms of the server's CPU
-- per single check, 0.1 ms by the index). An array is always probed through the index.

-- rows: [[id, public_identifier, reason, reason_lower, expires_at], ...], sorted by identifier
-- (the unique index is written in order); events: [[event_id, public_identifier, reason,
-- expires_at], ...] in the request's order, their ids increasing. Each block inserted gets its
-- `blocked` event (by :key_id, at :created_at) and the running count
-- (add-to-blocked-leads-count) grows by as many in slot :slot, all in this one statement: one
-- round trip where SQLite's gateway runs three (`blocked_leads.insert_missing`). The events are
-- filtered by a semi-join, which keeps their order: the index of ids is appended to in order (a
-- join back to the rows and a sort by id cost bulk writes 7%).
-- name: insert-blocked-leads
WITH inserted AS (
    INSERT INTO blocked_leads (workspace, id, public_identifier, reason, reason_lower,
                               created_at, expires_at)
    SELECT :workspace, value ->> 0, value ->> 1, value ->> 2, value ->> 3, :created_at,
           CAST(value ->> 4 AS bigint)
    FROM jsonb_array_elements(CAST(:rows AS jsonb))
    ON CONFLICT (workspace, public_identifier) DO NOTHING
    RETURNING public_identifier
), counted AS (
    INSERT INTO blocked_lead_counts (workspace, slot, count)
    SELECT :workspace, :slot, count(*) FROM inserted HAVING count(*) > 0
    ON CONFLICT (workspace, slot) DO UPDATE SET count = blocked_lead_counts.count + excluded.count
), recorded AS (
    INSERT INTO events (workspace, seq, id, type, at, key_id, subject_kind, subject, reason,
                        expires_at, scope, campaign_id)
    SELECT :workspace, CAST(CAST(pg_current_xact_id() AS text) AS bigint), value ->> 0,
           :event_type, :created_at, :key_id, :subject_kind, value ->> 1, value ->> 2,
           CAST(value ->> 3 AS bigint), :scope, NULL
    FROM jsonb_array_elements(CAST(:events AS jsonb))
    WHERE value ->> 1 IN (SELECT public_identifier FROM inserted)
)
SELECT public_identifier FROM inserted

-- name: select-blocked-leads-by-identifiers
SELECT id, public_identifier, reason, created_at, expires_at FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))

-- name: delete-blocked-leads-by-ids
DELETE FROM blocked_leads
WHERE workspace = :workspace
  AND id = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:ids AS jsonb))))
RETURNING id, public_identifier, reason, created_at, expires_at

-- name: delete-blocked-leads-by-identifiers
DELETE FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))
RETURNING id, public_identifier, reason, created_at, expires_at

-- name: insert-events
-- rows: [[id, subject, reason, expires_at], ...]
INSERT INTO events (workspace, seq, id, type, at, key_id, subject_kind, subject, reason,
                    expires_at, scope, campaign_id)
SELECT :workspace, CAST(CAST(pg_current_xact_id() AS text) AS bigint),
       value ->> 0, :type, :at, :key_id, :subject_kind, value ->> 1, value ->> 2, CAST(value ->> 3 AS bigint), :scope,
       :campaign_id
FROM jsonb_array_elements(CAST(:rows AS jsonb))

-- name: extend-blocked-leads
-- rows: [[id, expires_at or null], ...]: each block's expiry moves to the later of the two
-- (null, permanent, is the latest); a block that is permanent already stays as it is.
UPDATE blocked_leads SET expires_at = CAST(extension.value ->> 1 AS bigint)
FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS extension(value)
WHERE blocked_leads.workspace = :workspace AND blocked_leads.id = extension.value ->> 0
  AND blocked_leads.expires_at IS NOT NULL
  AND (extension.value ->> 1 IS NULL
       OR CAST(extension.value ->> 1 AS bigint) > blocked_leads.expires_at)
RETURNING blocked_leads.id, blocked_leads.expires_at

-- name: next-event-seq
-- The writing transaction's id, the `seq` of its events (0011); the inserts take it themselves.
SELECT CAST(CAST(pg_current_xact_id() AS text) AS bigint)

-- name: event-horizon
-- Every event below this `seq` is final: the oldest transaction still running has this id, so
-- every transaction with a smaller one has ended, and none can start with a smaller one.
SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint)
