-- An import is staged in temporary tables of its connection (`Database.pinned`), which take no
-- lock on the main database: rows are appended as they are validated, then de-duplicated (the
-- first occurrence wins) and sorted by identifier into `sorted_leads`. One short write
-- transaction then publishes them with two statements that write every index in order.

-- name: create-staged-leads
CREATE TEMP TABLE staged_leads (
    public_identifier TEXT NOT NULL,
    position INTEGER NOT NULL,
    reason TEXT,
    reason_lower TEXT
)

-- name: stage-leads
-- rows: [[public_identifier, position, reason, reason_lower], ...]
INSERT INTO staged_leads (public_identifier, position, reason, reason_lower)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(:rows)

-- rank: 1, 2, … in identifier order. The bare columns of a min() aggregate come from the row
-- that has the minimum (SQLite), i.e. the reason of the first occurrence.
-- name: sort-staged-leads
CREATE TEMP TABLE sorted_leads AS
SELECT row_number() OVER (ORDER BY public_identifier) AS rank, public_identifier, reason,
       reason_lower
FROM (SELECT public_identifier, min(position), reason, reason_lower
      FROM staged_leads GROUP BY public_identifier)
ORDER BY public_identifier

-- name: drop-staged-leads
DROP TABLE IF EXISTS temp.staged_leads

-- name: drop-sorted-leads
DROP TABLE IF EXISTS temp.sorted_leads

-- name: count-sorted-leads
SELECT count(*) FROM sorted_leads

-- One `blocked` event per sorted lead not blocked yet, run just before the insert below: under
-- SQLite's single writer "not blocked yet" is the same set for both statements.
-- name: insert-staged-events
INSERT INTO events (workspace, id, type, at, key_id, public_identifier, reason, scope,
                    campaign_id)
SELECT :workspace, printf('%016x%016x', :event_high, :event_low + rank), 'blocked', :at,
       :key_id, public_identifier, reason, 'workspace', NULL
FROM sorted_leads AS staged
WHERE NOT EXISTS (
    SELECT 1 FROM blocked_leads AS block
    WHERE block.workspace = :workspace AND block.public_identifier = staged.public_identifier)

-- The sorted leads not blocked yet, in identifier order, the one of rank n with id n.
-- name: insert-staged-blocked-leads
INSERT INTO blocked_leads (workspace, id, public_identifier, reason, reason_lower, created_at)
SELECT :workspace, printf('%016x%016x', :id_high, :id_low + rank), public_identifier, reason,
       reason_lower, :created_at
FROM sorted_leads WHERE true
ON CONFLICT (workspace, public_identifier) DO NOTHING

-- name: count-staged-not-blocked
-- A dry run's answer: how many sorted leads the publish would block.
SELECT count(*) FROM sorted_leads AS staged
WHERE NOT EXISTS (
    SELECT 1 FROM blocked_leads AS block
    WHERE block.workspace = :workspace AND block.public_identifier = staged.public_identifier)
