-- A page of the CSV export, oldest first by keyset (start with after_id = ''): each block's
-- first two cells as CSV, then its created_at, id and expires_at. The text cells are made
-- here rather than one at a time in Python, which cost the export more than reading the rows
-- (docs/performance.md): a cell that a spreadsheet would run as a formula gets a leading `'`
-- (`transfer._FORMULA_STARTS`), then a cell with a comma, a quote or a line break is quoted.
-- Blocks that have expired are left out, swept or not.
-- name: export-blocked-leads
SELECT
    CASE WHEN strpos(identifier, ',') > 0 OR strpos(identifier, '"') > 0
              OR strpos(identifier, chr(10)) > 0 OR strpos(identifier, chr(13)) > 0
         THEN '"' || replace(identifier, '"', '""') || '"' ELSE identifier END
    || ',' ||
    CASE WHEN strpos(reason, ',') > 0 OR strpos(reason, '"') > 0
              OR strpos(reason, chr(10)) > 0 OR strpos(reason, chr(13)) > 0
         THEN '"' || replace(reason, '"', '""') || '"' ELSE reason END
    AS cells,
    created_at, id, expires_at
FROM (
    SELECT
        CASE WHEN left(public_identifier, 1) IN ('=', '+', '-', '@', chr(9), chr(13), '''')
             THEN '''' || public_identifier ELSE public_identifier END AS identifier,
        CASE WHEN left(reason, 1) IN ('=', '+', '-', '@', chr(9), chr(13), '''')
             THEN '''' || reason ELSE coalesce(reason, '') END AS reason,
        created_at, id, expires_at
    FROM blocked_leads
    WHERE workspace = :workspace AND id > :after_id
      AND (expires_at IS NULL OR expires_at > :now)
    ORDER BY id
    LIMIT :limit
) AS page
