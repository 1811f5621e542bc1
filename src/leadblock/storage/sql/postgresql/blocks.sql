-- Every block that may stop some leads, of every kind, in one statement: each statement of a
-- READ COMMITTED transaction sees a snapshot of its own, so reading the kinds apart could miss
-- a block that moved from one kind to another between two statements.
-- kind: 'lead' (a workspace block), 'campaign' (of :campaign_id, none if NULL), or the kind of
-- a company block. identifiers, domains, linkedin_companies: JSON arrays, sorted.
-- name: select-blocks-of-leads
SELECT 'lead' AS kind, public_identifier AS value, id, NULL AS name, reason, created_at,
       expires_at
FROM blocked_leads
WHERE workspace = :workspace
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))
UNION ALL
SELECT 'campaign', public_identifier, NULL, NULL, reason, created_at, expires_at
FROM campaign_blocked_leads
WHERE CAST(:campaign_id AS TEXT) IS NOT NULL  -- no campaign: the branch is skipped whole
  AND workspace = :workspace AND campaign_id = :campaign_id
  AND public_identifier = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:identifiers AS jsonb))))
UNION ALL
SELECT kind, value, id, name, reason, created_at, expires_at
FROM company_blocks
WHERE workspace = :workspace AND kind = 'domain'
  AND value = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:domains AS jsonb))))
UNION ALL
SELECT kind, value, id, name, reason, created_at, expires_at
FROM company_blocks
WHERE workspace = :workspace AND kind = 'linkedinCompany'
  AND value = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(:linkedin_companies AS jsonb))))
