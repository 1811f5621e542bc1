"""Console sessions and CSRF tokens, stateless: a signed cookie names the API key and expiry.

`{"k": key id, "n": nonce, "e": expiry}` is signed with the deployment's console secret
(itsdangerous, HMAC-SHA1 over the payload, salted). The CSRF token of a session is an HMAC of
its nonce, so forms carry a value an attacker's page cannot compute or read. Before sign-in,
the sign-in form is protected the same way with a nonce cookie of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from leadblock.services.keys import is_key_id

SESSION_COOKIE = "leadblock_console"
SIGN_IN_COOKIE = "leadblock_sign_in"
_SALT = "leadblock-console-session"


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    nonce: str
    expires_at: int  # epoch seconds


class SessionSigner:
    def __init__(self, secret: str, lifetime_s: float) -> None:
        self._secret = secret.encode()
        self._serializer = URLSafeSerializer(secret, salt=_SALT)
        self.lifetime_s = lifetime_s

    def issue(self, key_id: str) -> str:
        """The cookie value of a new session of `key_id`."""
        payload = {
            "k": key_id,
            "n": secrets.token_urlsafe(16),
            "e": int(time.time() + self.lifetime_s),
        }
        return self._serializer.dumps(payload)

    def read(self, cookie: str | None) -> Session | None:
        """The session of a cookie, or None when it is missing, forged or expired."""
        if not cookie:
            return None
        try:
            payload: Any = self._serializer.loads(cookie)
        except BadSignature:
            return None
        if not isinstance(payload, dict):
            return None
        key_id, nonce, expires_at = payload.get("k"), payload.get("n"), payload.get("e")
        if not (isinstance(key_id, str) and isinstance(nonce, str) and isinstance(expires_at, int)):
            return None
        if expires_at <= time.time():
            return None
        return Session(key_id, nonce, expires_at)

    def csrf_token(self, nonce: str) -> str:
        return hmac.new(self._secret, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()

    def valid_csrf(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)


def unverified_key_id(cookie: str) -> str | None:
    """The key id a session cookie names, signature unchecked (no secret needed): enough to
    name a rate-limit budget, never to grant anything."""
    _valid, payload = URLSafeSerializer("", salt=_SALT).loads_unsafe(cookie)
    key_id = payload.get("k") if isinstance(payload, dict) else None
    return key_id if isinstance(key_id, str) and is_key_id(key_id) else None
