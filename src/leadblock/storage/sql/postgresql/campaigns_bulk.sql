-- name: insert-campaign-blocked-leads
INSERT INTO campaign_blocked_leads (workspace, campaign_id, public_identifier, reason, created_at)
SELECT :workspace, :campaign_id, value, :reason, :created_at
FROM jsonb_array_elements_text(CAST(:identifiers AS jsonb))
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: select-campaign-blocked-leads-by-identifiers
SELECT public_identifier, reason, created_at FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb)))

-- name: delete-campaign-blocked-leads-by-identifiers
DELETE FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb)))
RETURNING public_identifier, reason

-- name: insert-campaign-leads
-- rows: [[id, public_identifier, first_name, last_name, company_name, email], ...]
INSERT INTO campaign_leads (workspace, campaign_id, id, public_identifier, first_name,
                            last_name, company_name, email, status, created_at)
SELECT :workspace, :campaign_id, value ->> 0, value ->> 1, value ->> 2, value ->> 3,
       value ->> 4, value ->> 5, 'pending', :created_at
FROM jsonb_array_elements(CAST(:rows AS jsonb))
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: dispatch-campaign-leads
-- Claims the first `limit` pending leads, in enrolment order, blocked neither for the
-- workspace nor for this campaign at this moment. FOR UPDATE SKIP LOCKED lets concurrent
-- dispatches on any number of servers claim disjoint leads without waiting for each other;
-- a row another dispatch has just claimed is re-checked after its lock and no longer pending.
WITH claimed AS (
    SELECT lead.workspace, lead.campaign_id, lead.id
    FROM campaign_leads AS lead
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
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE campaign_leads SET status = 'dispatched', dispatched_at = :now
FROM claimed
-- Every column of both candidate indexes is pinned (the primary key, and the pending index:
-- the claimed rows are locked by us and still pending), so each claimed row is one exact index
-- lookup whichever index the planner picks on stale statistics after a bulk enrolment.
WHERE campaign_leads.workspace = claimed.workspace
  AND campaign_leads.campaign_id = claimed.campaign_id
  AND campaign_leads.status = 'pending'
  AND campaign_leads.id = claimed.id
RETURNING campaign_leads.id, campaign_leads.public_identifier, campaign_leads.first_name,
          campaign_leads.last_name, campaign_leads.company_name, campaign_leads.email,
          campaign_leads.status, campaign_leads.created_at
