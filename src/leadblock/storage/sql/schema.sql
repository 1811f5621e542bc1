-- The revision the schema is at, as Alembic records it (readiness: is it this code's?).
-- name: schema-revision
SELECT version_num FROM alembic_version
