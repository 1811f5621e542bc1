-- name: insert-company-blocks
-- rows: [[id, kind, value, name, reason, search_text, expires_at], ...]
INSERT INTO company_blocks (workspace, id, kind, value, name, reason, search_text, created_at,
                            expires_at)
SELECT :workspace, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
       value ->> 5, :created_at, value ->> 6
FROM json_each(:rows) WHERE true
ON CONFLICT (workspace, kind, value) DO NOTHING
RETURNING id

-- name: select-company-blocks-by-values
-- values: JSON array of the canonical values of one kind
SELECT id, kind, value, name, reason, created_at, expires_at FROM company_blocks
WHERE workspace = :workspace AND kind = :kind
  AND value IN (SELECT value FROM json_each(:values))

-- name: delete-company-blocks-by-ids
DELETE FROM company_blocks
WHERE workspace = :workspace AND id IN (SELECT value FROM json_each(:ids))
RETURNING id, kind, value, name, reason, created_at, expires_at

-- name: delete-company-blocks-by-keys
DELETE FROM company_blocks
WHERE workspace = :workspace
  AND (kind, value) IN (SELECT value ->> 0, value ->> 1 FROM json_each(:keys))
RETURNING id, kind, value, name, reason, created_at, expires_at

-- name: extend-company-blocks
-- rows: [[id, expires_at or null], ...], as extend-blocked-leads.
UPDATE company_blocks SET expires_at = extension.value ->> 1
FROM json_each(:rows) AS extension
WHERE company_blocks.workspace = :workspace AND company_blocks.id = extension.value ->> 0
  AND company_blocks.expires_at IS NOT NULL
  AND (extension.value ->> 1 IS NULL OR extension.value ->> 1 > company_blocks.expires_at)
RETURNING id, expires_at

-- name: count-leads-stopped-by-company
-- keys: [[kind, value], ...]: per key, the enrolled leads not dispatched yet that carry it.
SELECT company.kind, company.value, count(*) AS leads
FROM campaign_lead_companies AS company
JOIN campaign_leads AS lead
  ON lead.workspace = company.workspace AND lead.campaign_id = company.campaign_id
 AND lead.id = company.lead_id
WHERE company.workspace = :workspace
  AND (company.kind, company.value) IN (SELECT value ->> 0, value ->> 1 FROM json_each(:keys))
  AND lead.status = 'pending'
GROUP BY company.kind, company.value
