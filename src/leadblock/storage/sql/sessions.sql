-- name: insert-console-sign-out
INSERT INTO console_sign_outs (nonce, expires_at) VALUES (:nonce, :expires_at)
ON CONFLICT (nonce) DO NOTHING

-- name: select-console-sign-out
SELECT nonce FROM console_sign_outs WHERE nonce = :nonce

-- name: delete-expired-console-sign-outs
DELETE FROM console_sign_outs WHERE expires_at < :now
