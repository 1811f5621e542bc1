-- name: insert-campaign-blocked-leads
INSERT INTO campaign_blocked_leads (workspace, campaign_id, public_identifier, reason, created_at,
                                    expires_at)
SELECT :workspace, :campaign_id, value, :reason, :created_at, CAST(:expires_at AS bigint)
FROM jsonb_array_elements_text(CAST(:identifiers AS jsonb))
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: select-campaign-blocked-leads-by-identifiers
SELECT public_identifier, reason, created_at, expires_at FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))

-- name: delete-campaign-blocked-leads-by-identifiers
DELETE FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))
RETURNING public_identifier, reason, expires_at

-- name: insert-campaign-leads
-- rows: [[id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
--         company_domain], ...]
INSERT INTO campaign_leads (workspace, campaign_id, id, public_identifier, first_name,
                            last_name, company_name, email, company_linkedin, company_domain,
                            status, created_at)
SELECT :workspace, :campaign_id, value ->> 0, value ->> 1, value ->> 2, value ->> 3,
       value ->> 4, value ->> 5, value ->> 6, value ->> 7, 'pending', :created_at
FROM jsonb_array_elements(CAST(:rows AS jsonb))
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING id, public_identifier

-- name: insert-campaign-lead-companies
-- rows: [[lead_id, kind, value], ...]: the company keys of leads just enrolled.
INSERT INTO campaign_lead_companies (workspace, campaign_id, lead_id, kind, value)
SELECT :workspace, :campaign_id, value ->> 0, value ->> 1, value ->> 2
FROM jsonb_array_elements(CAST(:rows AS jsonb))


-- name: plan-dispatch
-- Run right before dispatch-campaign-leads, in its transaction (`SET LOCAL`): the plan that is
-- right at any size walks the campaign's pending leads in id order and probes both blocklists
-- for each, stopping at `limit`. On statistics that guess many leads blocked, the planner
-- preferred to anti-join the whole campaign against the whole blocklist and sort it: 27 ms
-- instead of 6 for 100 of 10,000, and growing with the campaign.
SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
       set_config('enable_mergejoin', 'off', true), set_config('enable_sort', 'off', true)

-- name: dispatch-campaign-leads
-- Claims the first `limit` pending leads, in enrolment order, held by no live lease and blocked
-- neither for the workspace nor for this campaign at this moment: dispatched (`status`
-- 'dispatched', no claim) or leased (`status` stays 'pending', with the claim and the end of
-- its lease). FOR UPDATE SKIP LOCKED lets concurrent
-- dispatches on any number of servers claim disjoint leads without waiting for each other;
-- a row another dispatch has just claimed is re-checked after its lock and no longer pending.
WITH claimed AS (
    SELECT lead.ctid AS row_id
    FROM campaign_leads AS lead
    WHERE lead.workspace = :workspace AND lead.campaign_id = :campaign_id
      AND lead.status = 'pending'
      AND (lead.lease_expires_at IS NULL OR lead.lease_expires_at <= :now)
      AND NOT EXISTS (
          SELECT 1 FROM blocked_leads AS block
          WHERE block.workspace = :workspace
            AND block.public_identifier = lead.public_identifier
            AND (block.expires_at IS NULL OR block.expires_at > :now))
      AND NOT EXISTS (
          SELECT 1 FROM campaign_blocked_leads AS block
          WHERE block.workspace = :workspace AND block.campaign_id = :campaign_id
            AND block.public_identifier = lead.public_identifier
            AND (block.expires_at IS NULL OR block.expires_at > :now))
      AND NOT EXISTS (
          SELECT 1 FROM campaign_lead_companies AS company
          JOIN company_blocks AS block
            ON block.workspace = company.workspace AND block.kind = company.kind
           AND block.value = company.value
          WHERE company.workspace = :workspace AND company.campaign_id = :campaign_id
            AND company.lead_id = lead.id
            AND (block.expires_at IS NULL OR block.expires_at > :now))
    ORDER BY lead.id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE campaign_leads
SET status = :status, dispatched_at = :dispatched_at, claim_id = :claim_id,
    lease_expires_at = :lease_expires_at
FROM claimed
-- By the physical row the lock was taken on (a TID scan): no index to choose. On the stale
-- statistics of a campaign enrolled a moment ago, the planner had joined through an index of
-- the campaign's leads it could only use by prefix, scanning further into the campaign for
-- every claimed lead (dispatch took 7 ms, then 3 ms more with every dispatch after it).
-- A locked row cannot move, and its lock was taken on its current version.
WHERE campaign_leads.ctid = claimed.row_id
RETURNING campaign_leads.id, campaign_leads.public_identifier, campaign_leads.first_name,
          campaign_leads.last_name, campaign_leads.company_name, campaign_leads.email,
          campaign_leads.company_linkedin, campaign_leads.company_domain, campaign_leads.status, campaign_leads.created_at, campaign_leads.claim_id,
          campaign_leads.lease_expires_at

-- name: select-claim-leads
-- The leads a claim still holds (pending, not re-claimed since), those of `:ids` (a JSON
-- array) or, when it is null, all of them; locked until the transaction ends, so a dispatch
-- that would re-claim one after its lease ran out skips it, and one that re-claimed it first
-- makes it no longer held here.
SELECT id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
       company_domain, status, created_at, claim_id, lease_expires_at
FROM campaign_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id AND claim_id = :claim_id
  AND status = 'pending'
  AND (CAST(:ids AS jsonb) IS NULL
       OR id = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))))
ORDER BY id
FOR UPDATE

-- name: confirm-claim-leads
-- `:ids` (held by the claim, checked against every block in the same transaction) go out.
UPDATE campaign_leads SET status = 'dispatched', dispatched_at = :now, lease_expires_at = NULL
WHERE workspace = :workspace AND campaign_id = :campaign_id AND claim_id = :claim_id
  AND status = 'pending'
  AND id = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:ids AS jsonb))))

-- name: release-claim-leads
-- The leads of a claim, those of `:ids` (a JSON array) or all of them (null), leased or
-- confirmed by it, go back to pending at once: a sender that could not message them hands them
-- to the next dispatch. A lead a later dispatch re-claimed is no longer this claim's.
UPDATE campaign_leads
SET status = 'pending', dispatched_at = NULL, claim_id = NULL, lease_expires_at = NULL
WHERE workspace = :workspace AND campaign_id = :campaign_id AND claim_id = :claim_id
  AND (CAST(:ids AS jsonb) IS NULL
       OR id = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))))

-- name: extend-campaign-blocked-leads
-- The campaign's blocks of `:identifiers` (a JSON array) get :expires_at where that is later
-- (null, permanent, is the latest); a permanent block stays as it is.
UPDATE campaign_blocked_leads SET expires_at = CAST(:expires_at AS bigint)
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))
  AND expires_at IS NOT NULL
  AND (CAST(:expires_at AS bigint) IS NULL OR expires_at < CAST(:expires_at AS bigint))
RETURNING public_identifier
