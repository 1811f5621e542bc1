-- name: select-company-block
SELECT id, kind, value, name, reason, created_at, expires_at FROM company_blocks
WHERE workspace = :workspace AND id = :id

-- name: count-company-blocks
SELECT count(*) FROM company_blocks
WHERE workspace = :workspace
  AND (CAST(:pattern AS TEXT) IS NULL OR search_text LIKE :pattern ESCAPE '\')

-- Newest first by the primary key (an id starts with its creation time), from the start or
-- after a cursor.
-- name: list-company-blocks
SELECT id, kind, value, name, reason, created_at, expires_at FROM company_blocks
WHERE workspace = :workspace
  AND (CAST(:pattern AS TEXT) IS NULL OR search_text LIKE :pattern ESCAPE '\')
ORDER BY id DESC
LIMIT :limit OFFSET :offset

-- name: list-company-blocks-after
SELECT id, kind, value, name, reason, created_at, expires_at FROM company_blocks
WHERE workspace = :workspace AND id < :after_id
  AND (CAST(:pattern AS TEXT) IS NULL OR search_text LIKE :pattern ESCAPE '\')
ORDER BY id DESC
LIMIT :limit

-- name: update-company-block
UPDATE company_blocks
SET name = :name, reason = :reason, search_text = :search_text, expires_at = :expires_at
WHERE workspace = :workspace AND id = :id

-- name: export-company-blocks
-- Oldest first by keyset, from after_id = ''.
SELECT id, kind, value, name, reason, created_at, expires_at FROM company_blocks
WHERE workspace = :workspace AND id > :after_id
ORDER BY id
LIMIT :limit

-- name: expire-company-blocks
DELETE FROM company_blocks
WHERE workspace = :workspace AND id IN (
    SELECT id FROM company_blocks
    WHERE workspace = :workspace AND expires_at IS NOT NULL AND expires_at <= :now
    ORDER BY expires_at
    LIMIT :limit)
RETURNING id, kind, value, name, reason, created_at, expires_at
