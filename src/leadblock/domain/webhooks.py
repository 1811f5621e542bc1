"""Webhooks as the Standard Webhooks specification has them: secrets, signatures, and which
destinations leadblock may post to at all.

A secret is `whsec_` and the base64 of 32 random bytes. A delivery is signed
`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`; during the 24 hours
after a rotation it carries one signature per secret, space-separated, so a receiver still on
the old secret keeps verifying.

Destinations: `https` URLs (`http` only where the operator allows it), with a host name or an
address and no user or password in them. Where the host resolves to, decides the rest: a
loopback, private, link-local, shared, multicast, reserved or unspecified address (IPv4 or
IPv6, IPv4 written inside IPv6 too) is refused, since a webhook is a request leadblock makes
on a stranger's behalf from inside the operator's network. The operator may allow named
`host:port` pairs (a receiver on the same machine, in tests). Every check is made again at
every delivery, after resolving, and redirects are never followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from typing import NamedTuple
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"  # noqa: S105 - the standard's prefix, not a secret
SECRET_BYTES = 32
MAX_URL_LENGTH = 2048


# Standard Webhooks' suggested schedule: about 5 s, 30 s, 2 min, 10 min, 1 h, then every 3 h.
RETRY_DELAYS_S = (5, 30, 120, 600, 3600, 10800)
RETRY_WINDOW_S = 3 * 24 * 3600  # an endpoint failing this long is disabled


class InvalidDestination(ValueError):
    """A URL leadblock will not post to; str() says why."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,…` signature of one delivery (`timestamp` in Unix seconds)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(
    secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """`webhook-signature`: one signature per secret in use, space-separated."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_in_use)


class Destination(NamedTuple):
    url: str
    scheme: str
    host: str  # lower case; an IPv6 address without its brackets
    port: int

    @property
    def host_port(self) -> str:
        """`host:port` as `LEADBLOCK_WEBHOOK_ALLOWED_HOSTS` names it (`[::1]:8080` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_destination(url: str, *, allow_http: bool) -> Destination:
    """The destination a webhook URL names, before resolving; `InvalidDestination` if its
    shape alone rules it out."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidDestination(f"url is longer than {MAX_URL_LENGTH:,} characters")
    if not url.isascii() or any(char.isspace() or ord(char) < 0x20 for char in url):
        raise InvalidDestination(
            "url must be ASCII without spaces or control characters (IDN hosts in punycode)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidDestination("url is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise InvalidDestination("url must start with https://")
    if scheme == "http" and not allow_http:
        raise InvalidDestination("url must use https (http is not allowed on this server)")
    if parts.username is not None or parts.password is not None:
        raise InvalidDestination("url must not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidDestination("url has no host")
    if parts.fragment:
        raise InvalidDestination("url must not have a fragment")
    return Destination(url, scheme, host, port or (443 if scheme == "https" else 80))


def forbidden_address(address: str) -> str | None:
    """Why leadblock must not post to `address` (an IPv4 or IPv6 address as the resolver gives
    it), or None when it is an ordinary public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone is no part of it
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return forbidden_address(str(embedded))
    for reason, is_it in (
        ("an unspecified address", ip.is_unspecified),
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a reserved address", ip.is_reserved),
        ("a private address", ip.is_private),
    ):
        if is_it:
            return reason
    if not ip.is_global:  # shared (100.64/10), documentation, benchmarking and other ranges
        return "not a public address"
    return None


def next_attempt_at(
    attempt: int,
    failing_since: int,
    now: int,
    delays_ms: tuple[int, ...],
    window_ms: int,
) -> int | None:
    """When to try an event again after its `attempt`-th failure (1 for the first) at `now`,
    the endpoint failing since `failing_since`; None once it has failed for the whole retry
    window: it is to be disabled."""
    if now - failing_since >= window_ms:
        return None
    return now + delays_ms[min(attempt, len(delays_ms)) - 1]
