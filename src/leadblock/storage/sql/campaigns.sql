-- name: insert-campaign
INSERT INTO campaigns (workspace, id, name, created_at)
VALUES (:workspace, :id, :name, :created_at)

-- name: select-campaign
SELECT id, name, created_at FROM campaigns WHERE workspace = :workspace AND id = :id

-- name: count-campaigns
SELECT count(*) FROM campaigns WHERE workspace = :workspace

-- name: list-campaigns
SELECT id, name, created_at FROM campaigns
WHERE workspace = :workspace
ORDER BY id DESC
LIMIT :limit OFFSET :offset

-- name: list-campaigns-after
SELECT id, name, created_at FROM campaigns
WHERE workspace = :workspace AND id < :after_id
ORDER BY id DESC
LIMIT :limit

-- name: delete-campaign
DELETE FROM campaigns WHERE workspace = :workspace AND id = :id

-- name: delete-all-campaign-blocked-leads
DELETE FROM campaign_blocked_leads WHERE workspace = :workspace AND campaign_id = :campaign_id
RETURNING public_identifier, reason, expires_at

-- name: delete-all-campaign-lead-companies
DELETE FROM campaign_lead_companies
WHERE workspace = :workspace AND campaign_id = :campaign_id

-- name: delete-all-campaign-leads
DELETE FROM campaign_leads WHERE workspace = :workspace AND campaign_id = :campaign_id

-- name: count-campaign-blocked-leads
SELECT count(*) FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id

-- name: list-campaign-blocked-leads
SELECT public_identifier, reason, created_at, expires_at FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
ORDER BY created_at DESC, public_identifier DESC
LIMIT :limit OFFSET :offset

-- name: list-campaign-blocked-leads-after
SELECT public_identifier, reason, created_at, expires_at FROM campaign_blocked_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND (created_at, public_identifier) < (:after_at, :after_identifier)
ORDER BY created_at DESC, public_identifier DESC
LIMIT :limit

-- name: count-campaign-leads
SELECT count(*) FROM campaign_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id

-- Campaign leads are listed in enrolment order, the order dispatch hands them out.
-- name: list-campaign-leads
SELECT id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
       company_domain, status, created_at, claim_id, lease_expires_at
FROM campaign_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
ORDER BY id
LIMIT :limit OFFSET :offset

-- name: list-campaign-leads-after
SELECT id, public_identifier, first_name, last_name, company_name, email, company_linkedin,
       company_domain, status, created_at, claim_id, lease_expires_at
FROM campaign_leads
WHERE workspace = :workspace AND campaign_id = :campaign_id
  AND id > :after_id
ORDER BY id
LIMIT :limit

-- The campaign blocks whose expiry has passed, every campaign of the workspace, a batch at a
-- time (the partial index of expiring blocks, 0010).
-- name: expire-campaign-blocked-leads
DELETE FROM campaign_blocked_leads
WHERE workspace = :workspace AND (campaign_id, public_identifier) IN (
    SELECT campaign_id, public_identifier FROM campaign_blocked_leads
    WHERE workspace = :workspace AND expires_at IS NOT NULL AND expires_at <= :now
    ORDER BY expires_at
    LIMIT :limit)
RETURNING campaign_id, public_identifier, reason, created_at, expires_at
