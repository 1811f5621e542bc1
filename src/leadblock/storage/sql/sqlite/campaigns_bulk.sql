-- name: insert-campaign-blocked-leads
-- identifiers: JSON array; one reason for the whole request.
INSERT INTO campaign_blocked_leads (workspace, campaign_id, public_identifier, reason, created_at)
SELECT :workspace, :campaign_id, value, :reason, :created_at
FROM json_each(:identifiers) WHERE true
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: select-campaign-blocked-leads-by-identifiers
SELECT public_identifier, reason, created_at FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))

-- name: delete-campaign-blocked-leads-by-identifiers
DELETE FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
RETURNING public_identifier, reason

-- name: insert-campaign-leads
-- rows: [[id, public_identifier, first_name, last_name, company_name, email], ...]
INSERT INTO campaign_leads (workspace, campaign_id, id, public_identifier, first_name,
                            last_name, company_name, email, status, created_at)
SELECT :workspace, :campaign_id, value ->> 0, value ->> 1, value ->> 2, value ->> 3,
       value ->> 4, value ->> 5, 'pending', :created_at
FROM json_each(:rows) WHERE true
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: plan-dispatch
-- Nothing to do: SQLite's planner walks the pending index in id order by itself (PostgreSQL
-- is told to, see its version).
SELECT 1

-- name: dispatch-campaign-leads
-- Claims the first `limit` pending leads, in enrolment order, that are blocked neither for the
-- workspace nor for this campaign at this moment. The whole statement runs under SQLite's
-- single write lock, so two dispatches never claim the same lead.
UPDATE campaign_leads SET status = 'dispatched', dispatched_at = :now
WHERE workspace = :workspace AND campaign_id = :campaign_id AND id IN (
    SELECT lead.id FROM campaign_leads AS lead
    WHERE lead.workspace = :workspace AND lead.campaign_id = :campaign_id
      AND lead.status = 'pending'
      AND NOT EXISTS (
          SELECT 1 FROM blocked_leads AS block
          WHERE block.workspace = :workspace
            AND block.public_identifier = lead.public_identifier)
      AND NOT EXISTS (
          SELECT 1 FROM campaign_blocked_leads AS block
          WHERE block.workspace = :workspace AND block.campaign_id = :campaign_id
            AND block.public_identifier = lead.public_identifier)
    ORDER BY lead.id
    LIMIT :limit)
RETURNING id, public_identifier, first_name, last_name, company_name, email, status, created_at
