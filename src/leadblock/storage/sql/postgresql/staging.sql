-- An import is staged in temporary tables of its connection (`Database.pinned`): rows are
-- copied in as they are validated, then de-duplicated (the first occurrence wins) and sorted
-- by identifier into `sorted_leads`. One write transaction then publishes them with two
-- statements.

-- name: create-staged-leads
CREATE TEMP TABLE staged_leads (
    public_identifier text NOT NULL,
    position bigint NOT NULL,
    reason text,
    reason_lower text,
    expires_at bigint
)

-- name: stage-leads
COPY staged_leads (public_identifier, position, reason, reason_lower, expires_at) FROM STDIN

-- rank: 1, 2, … in identifier order.
-- name: sort-staged-leads
CREATE TEMP TABLE sorted_leads AS
SELECT row_number() OVER (ORDER BY public_identifier) AS rank, public_identifier, reason,
       reason_lower, expires_at
FROM (SELECT DISTINCT ON (public_identifier) public_identifier, reason, reason_lower, expires_at
      FROM staged_leads ORDER BY public_identifier, position) AS first
ORDER BY public_identifier

-- name: drop-staged-leads
DROP TABLE IF EXISTS pg_temp.staged_leads

-- name: drop-sorted-leads
DROP TABLE IF EXISTS pg_temp.sorted_leads

-- name: count-sorted-leads
SELECT count(*) FROM sorted_leads

-- One `blocked` event per lead the insert below has just inserted (run after it): those whose
-- block has the import's id. Exact whatever other transactions block meanwhile.
-- name: insert-staged-events
INSERT INTO events (workspace, seq, id, type, at, key_id, subject, reason, expires_at, scope,
                    campaign_id)
SELECT block.workspace, CAST(CAST(pg_current_xact_id() AS text) AS bigint),
       lpad(to_hex(CAST(:event_high AS bigint)), 16, '0')
           || lpad(to_hex(CAST(:event_low AS bigint) + staged.rank), 16, '0'),
       'blocked', CAST(:at AS bigint), CAST(:key_id AS text), staged.public_identifier,
       staged.reason, staged.expires_at, 'workspace', NULL
FROM sorted_leads AS staged
JOIN blocked_leads AS block
  ON block.workspace = :workspace AND block.public_identifier = staged.public_identifier
WHERE block.id = lpad(to_hex(CAST(:id_high AS bigint)), 16, '0')
                 || lpad(to_hex(CAST(:id_low AS bigint) + staged.rank), 16, '0')
ORDER BY staged.rank

-- name: insert-staged-blocked-leads
INSERT INTO blocked_leads (workspace, id, public_identifier, reason, reason_lower, created_at,
                           expires_at)
SELECT CAST(:workspace AS integer),
       lpad(to_hex(CAST(:id_high AS bigint)), 16, '0')
           || lpad(to_hex(CAST(:id_low AS bigint) + rank), 16, '0'),
       public_identifier, reason, reason_lower, CAST(:created_at AS bigint), expires_at
FROM sorted_leads
ORDER BY rank
ON CONFLICT (workspace, public_identifier) DO NOTHING

-- name: count-staged-not-blocked
-- A dry run's answer: how many sorted leads the publish would block.
SELECT count(*) FROM sorted_leads AS staged
WHERE NOT EXISTS (
    SELECT 1 FROM blocked_leads AS block
    WHERE block.workspace = :workspace AND block.public_identifier = staged.public_identifier
      AND (block.expires_at IS NULL OR block.expires_at > :now))

-- Blocked leads of the import whose expiry the import moves later (never earlier): run only
-- when the workspace has expiring blocks at all. The count is a dry run's answer.
-- name: record-staged-extensions
-- The blocks are locked as their events are recorded: no concurrent writer moves them before
-- extend-staged-blocked-leads does (one that did first is seen, and the block left out).
WITH moving AS (
    SELECT staged.public_identifier, block.reason, staged.expires_at, staged.rank
    FROM sorted_leads AS staged
    JOIN blocked_leads AS block
      ON block.workspace = :workspace AND block.public_identifier = staged.public_identifier
    WHERE block.expires_at IS NOT NULL
      AND (staged.expires_at IS NULL OR staged.expires_at > block.expires_at)
    FOR UPDATE OF block
)
INSERT INTO events (workspace, seq, id, type, at, key_id, subject, reason, expires_at, scope,
                    campaign_id)
SELECT CAST(:workspace AS integer), CAST(CAST(pg_current_xact_id() AS text) AS bigint),
       lpad(to_hex(CAST(:event_high AS bigint)), 16, '0')
           || lpad(to_hex(CAST(:event_low AS bigint) + moving.rank), 16, '0'),
       'expiry_changed', CAST(:at AS bigint), CAST(:key_id AS text), moving.public_identifier,
       moving.reason, moving.expires_at, 'workspace', NULL
FROM moving ORDER BY moving.rank

-- name: extend-staged-blocked-leads
UPDATE blocked_leads SET expires_at = staged.expires_at
FROM sorted_leads AS staged
WHERE blocked_leads.workspace = :workspace
  AND blocked_leads.public_identifier = staged.public_identifier
  AND EXISTS (
      SELECT 1 FROM events
      WHERE events.workspace = :workspace
        AND events.id = lpad(to_hex(CAST(:event_high AS bigint)), 16, '0')
                        || lpad(to_hex(CAST(:event_low AS bigint) + staged.rank), 16, '0'))

-- name: count-staged-extended
SELECT count(*) FROM sorted_leads AS staged
JOIN blocked_leads AS block
  ON block.workspace = :workspace AND block.public_identifier = staged.public_identifier
WHERE block.expires_at IS NOT NULL AND block.expires_at > :now
  AND (staged.expires_at IS NULL OR staged.expires_at > block.expires_at)
