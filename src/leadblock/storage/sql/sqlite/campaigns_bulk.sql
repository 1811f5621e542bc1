-- name: insert-campaign-blocked-leads
-- identifiers: JSON array; one reason and one expiry for the whole request.
INSERT INTO campaign_blocked_leads (workspace, campaign_id, public_identifier, reason, created_at,
                                    expires_at)
SELECT :workspace, :campaign_id, value, :reason, :created_at, :expires_at
FROM json_each(:identifiers) WHERE true
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING public_identifier

-- name: select-campaign-blocked-leads-by-identifiers
SELECT public_identifier, reason, created_at, expires_at FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))

-- name: delete-campaign-blocked-leads-by-identifiers
DELETE FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
RETURNING public_identifier, reason, expires_at

-- name: insert-campaign-leads
-- rows: [[id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
--         company_domain], ...]
INSERT INTO campaign_leads (workspace, campaign_id, id, public_identifier, first_name,
                            last_name, company_name, email, company_linkedin, company_domain,
                            status, created_at)
SELECT :workspace, :campaign_id, value ->> 0, value ->> 1, value ->> 2, value ->> 3,
       value ->> 4, value ->> 5, value ->> 6, value ->> 7, 'pending', :created_at
FROM json_each(:rows) WHERE true
ON CONFLICT (workspace, campaign_id, public_identifier) DO NOTHING
RETURNING id, public_identifier

-- name: insert-campaign-lead-companies
-- rows: [[lead_id, kind, value], ...]: the company keys of leads just enrolled.
INSERT INTO campaign_lead_companies (workspace, campaign_id, lead_id, kind, value)
SELECT :workspace, :campaign_id, value ->> 0, value ->> 1, value ->> 2
FROM json_each(:rows)


-- name: plan-dispatch
-- Nothing to do: SQLite's planner walks the pending index in id order by itself (PostgreSQL
-- is told to, see its version).
SELECT 1

-- name: dispatch-campaign-leads
-- Claims the first `limit` pending leads, in enrolment order, held by no live lease and blocked
-- neither for the workspace nor for this campaign at this moment: dispatched (`status`
-- 'dispatched', no claim) or leased (`status` stays 'pending', with the claim and the end of
-- its lease). The whole statement runs under SQLite's single write lock, so two dispatches
-- never claim the same lead.
UPDATE campaign_leads
SET status = :status, dispatched_at = :dispatched_at, claim_id = :claim_id,
    lease_expires_at = :lease_expires_at
WHERE workspace = :workspace AND campaign_id = :campaign_id AND id IN (
    SELECT lead.id FROM campaign_leads AS lead
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
    LIMIT :limit)
RETURNING id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
          company_domain, status, created_at, claim_id, lease_expires_at

-- name: select-claim-leads
-- The leads a claim still holds (pending, not re-claimed since), those of `:ids` (a JSON
-- array) or, when it is null, all of them. SQLite's single writer keeps them held until the
-- transaction ends. Unordered (the gateway sorts them): with `ORDER BY id` SQLite walked the
-- pending index of the whole campaign, for its order, instead of the claim's.
SELECT id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
       company_domain, status, created_at, claim_id, lease_expires_at
FROM campaign_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id AND claim_id = :claim_id
  AND status = 'pending'
  AND (:ids IS NULL OR id IN (SELECT value FROM json_each(:ids)))

-- name: confirm-claim-leads
-- `:ids` (held by the claim, checked against every block in the same transaction) go out.
UPDATE campaign_leads SET status = 'dispatched', dispatched_at = :now, lease_expires_at = NULL
WHERE workspace = :workspace AND campaign_id = :campaign_id AND claim_id = :claim_id
  AND status = 'pending' AND id IN (SELECT value FROM json_each(:ids))

-- name: release-claim-leads
-- The leads of a claim, those of `:ids` (a JSON array) or all of them (null), leased or
-- confirmed by it, go back to pending at once: a sender that could not message them hands them
-- to the next dispatch.
UPDATE campaign_leads
SET status = 'pending', dispatched_at = NULL, claim_id = NULL, lease_expires_at = NULL
WHERE workspace = :workspace AND campaign_id = :campaign_id AND claim_id = :claim_id
  AND (:ids IS NULL OR id IN (SELECT value FROM json_each(:ids)))

-- name: extend-campaign-blocked-leads
-- The campaign's blocks of `:identifiers` (a JSON array) get :expires_at where that is later
-- (null, permanent, is the latest); a permanent block stays as it is.
UPDATE campaign_blocked_leads SET expires_at = :expires_at
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
  AND expires_at IS NOT NULL
  AND (:expires_at IS NULL OR expires_at < :expires_at)
RETURNING public_identifier
