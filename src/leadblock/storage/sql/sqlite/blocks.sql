-- Every block that may stop some leads, of every kind, in one statement (on PostgreSQL, one
-- snapshot; a SQLite transaction sees one snapshot whatever it runs, and runs the same code).
-- kind: 'lead' (a workspace block), 'campaign' (of :campaign_id, none if NULL), or the kind of
-- a company block. identifiers, domains, linkedin_companies: JSON arrays, sorted.
-- name: select-blocks-of-leads
SELECT 'lead' AS kind, public_identifier AS value, id, NULL AS name, reason, created_at,
       expires_at
FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
UNION ALL
SELECT 'campaign', public_identifier, NULL, NULL, reason, created_at, expires_at
FROM campaign_blocked_leads
WHERE CAST(:campaign_id AS TEXT) IS NOT NULL  -- no campaign: the branch is skipped whole
  AND workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier IN (SELECT value FROM json_each(:identifiers))
UNION ALL
SELECT kind, value, id, name, reason, created_at, expires_at
FROM company_blocks
WHERE workspace = :workspace AND kind = 'domain'
  AND value IN (SELECT value FROM json_each(:domains))
UNION ALL
SELECT kind, value, id, name, reason, created_at, expires_at
FROM company_blocks
WHERE workspace = :workspace AND kind = 'linkedinCompany'
  AND value IN (SELECT value FROM json_each(:linkedin_companies))
