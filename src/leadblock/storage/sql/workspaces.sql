-- name: insert-workspace
INSERT INTO workspaces (id, name, created_at) VALUES (:id, :name, :created_at)

-- name: select-workspaces
SELECT id, name, created_at FROM workspaces ORDER BY created_at, id

-- name: select-workspace
SELECT id, name, created_at FROM workspaces WHERE id = :id

-- name: count-workspaces
SELECT count(*) FROM workspaces
