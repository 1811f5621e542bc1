-- An import is staged in temporary tables of its connection (`Database.pinned`), which take no
-- lock on the main database: rows are appended as they are validated, then de-duplicated (the
-- first occurrence wins) and sorted by identifier into `sorted_leads`. One short write
-- transaction then publishes them with two statements that write every index in order.

-- name: create-staged-leads
CREATE TEMP TABLE staged_leads (
    public_identifier TEXT NOT NULL,
    position INTEGER NOT NULL,
    reason TEXT,
    reason_lower TEXT,
    expires_at INTEGER
)

-- name: stage-leads
-- rows: [[public_identifier, position, reason, reason_lower, expires_at], ...]
INSERT INTO staged_leads (public_identifier, position, reason, reason_lower, expires_at)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(:rows)

-- rank: 1, 2, … in identifier order. The bare columns of a min() aggregate come from the row
-- that has the minimum (SQLite), i.e. the reason of the first occurrence.
-- name: sort-staged-leads
CREATE TEMP TABLE sorted_leads AS
SELECT row_number() OVER (ORDER BY public_identifier) AS rank, public_identifier, reason,
       reason_lower, expires_at
FROM (SELECT public_identifier, min(position), reason, reason_lower, expires_at
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
INSERT INTO events (workspace, seq, id, type, at, key_id, subject, reason, expires_at, scope,
                    campaign_id)
SELECT :workspace, :seq,
       printf('%016x%016x', :event_high, :event_low + rank), 'blocked', :at,
       :key_id, public_identifier, reason, expires_at, 'workspace', NULL
FROM sorted_leads AS staged
WHERE NOT EXISTS (
    SELECT 1 FROM blocked_leads AS block
    WHERE block.workspace = :workspace AND block.public_identifier = staged.public_identifier)

-- The sorted leads not blocked yet, in identifier order, the one of rank n with id n.
-- name: insert-staged-blocked-leads
INSERT INTO blocked_leads (workspace, id, public_identifier, reason, reason_lower, created_at,
                           expires_at)
SELECT :workspace, printf('%016x%016x', :id_high, :id_low + rank), public_identifier, reason,
       reason_lower, :created_at, expires_at
FROM sorted_leads WHERE true
ON CONFLICT (workspace, public_identifier) DO NOTHING

-- name: count-staged-not-blocked
-- A dry run's answer: how many sorted leads the publish would block.
SELECT count(*) FROM sorted_leads AS staged
WHERE NOT EXISTS (
    SELECT 1 FROM blocked_leads AS block
    WHERE block.workspace = :workspace AND block.public_identifier = staged.public_identifier
      AND (block.expires_at IS NULL OR block.expires_at > :now))

-- Blocked leads of the import whose expiry the import moves later (never earlier): run only
-- when the workspace has expiring blocks at all. First their `expiry_changed` events (each
-- keeps its reason and gets the import's expiry), then the blocks those events name are moved;
-- the count is a dry run's answer.
-- name: record-staged-extensions
INSERT INTO events (workspace, seq, id, type, at, key_id, subject, reason, expires_at, scope,
                    campaign_id)
SELECT :workspace, :seq,
       printf('%016x%016x', :event_high, :event_low + staged.rank), 'expiry_changed', :at,
       :key_id, staged.public_identifier, block.reason, staged.expires_at, 'workspace', NULL
FROM sorted_leads AS staged
JOIN blocked_leads AS block
  ON block.workspace = :workspace AND block.public_identifier = staged.public_identifier
WHERE block.expires_at IS NOT NULL
  AND (staged.expires_at IS NULL OR staged.expires_at > block.expires_at)

-- name: extend-staged-blocked-leads
UPDATE blocked_leads SET expires_at = staged.expires_at
FROM sorted_leads AS staged
WHERE blocked_leads.workspace = :workspace
  AND blocked_leads.public_identifier = staged.public_identifier
  AND EXISTS (
      SELECT 1 FROM events
      WHERE events.workspace = :workspace
        AND events.id = printf('%016x%016x', :event_high, :event_low + staged.rank))

-- name: count-staged-extended
SELECT count(*) FROM sorted_leads AS staged
JOIN blocked_leads AS block
  ON block.workspace = :workspace AND block.public_identifier = staged.public_identifier
WHERE block.expires_at IS NOT NULL AND block.expires_at > :now
  AND (staged.expires_at IS NULL OR staged.expires_at > block.expires_at)
