"""Webhook secrets and signatures (checked with the `standardwebhooks` package, not with
leadblock's own code), and the destinations leadblock refuses to post to: every spelling of a
loopback, private, link-local, multicast or unspecified address, resolved by the real resolver."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from leadblock.domain.webhooks import (
    InvalidDestination,
    forbidden_address,
    new_secret,
    signature_header,
)
from leadblock.services.webhook_destinations import vet


def deliver(secrets_in_use: list[str], body: bytes) -> dict[str, str]:
    now = int(time.time())
    return {
        "webhook-id": "01a22e0a2d3600000000fb05430902d5",
        "webhook-timestamp": str(now),
        "webhook-signature": signature_header(
            secrets_in_use, "01a22e0a2d3600000000fb05430902d5", now, body
        ),
    }


def test_secrets_are_32_random_bytes_in_standard_form() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_the_reference_library_verifies_a_delivery_and_refuses_a_tampered_one() -> None:
    secret = new_secret()
    body = json.dumps({"type": "blocked", "data": {"publicIdentifier": "jane-doe"}}).encode()
    headers = deliver([secret], body)
    assert Webhook(secret).verify(body, headers)["data"] == {"publicIdentifier": "jane-doe"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"jane", b"john"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_after_a_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"unblocked"}'
    headers = deliver([new, old], body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


LOCAL = {"allow_http": False, "allowed_hosts": ()}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.216.34/hook", "url must use https (http is not allowed on this server)"),
        ("ftp://93.184.216.34/hook", "url must start with https://"),
        ("https://user:pw@93.184.216.34/", "url must not carry a user name or password"),
        ("https:///hook", "url has no host"),
        ("https://93.184.216.34:99999/", "url is not a valid URL"),
        ("https://exa mple.com/", "url must be ASCII without spaces or control characters"),
        ("https://93.184.216.34/#top", "url must not have a fragment"),
    ],
)
def test_urls_refused_by_their_shape(url: str, why: str) -> None:
    with pytest.raises(InvalidDestination, match=why.replace("(", r"\(").replace(")", r"\)")):
        vet(url, **LOCAL)


@pytest.mark.parametrize(
    ("url", "address", "reason"),
    [
        ("https://localhost/hook", "127.0.0.1", "a loopback address"),
        ("https://127.0.0.1/", "127.0.0.1", "a loopback address"),
        ("https://127.1/", "127.0.0.1", "a loopback address"),
        ("https://2130706433/", "127.0.0.1", "a loopback address"),  # decimal
        ("https://0x7f.1/", "127.0.0.1", "a loopback address"),  # hexadecimal
        ("https://0177.0.0.1/", "127.0.0.1", "a loopback address"),  # octal
        ("https://0.0.0.0/", "0.0.0.0", "an unspecified address"),  # noqa: S104
        ("https://0/", "0.0.0.0", "an unspecified address"),  # noqa: S104
        ("https://[::]/", "::", "an unspecified address"),
        ("https://[::1]:8443/", "::1", "a loopback address"),
        ("https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", "a loopback address"),
        ("https://[::ffff:10.1.2.3]/", "::ffff:10.1.2.3", "a private address"),
        ("https://10.0.0.8/", "10.0.0.8", "a private address"),
        ("https://172.16.5.4/", "172.16.5.4", "a private address"),
        ("https://192.168.1.1/", "192.168.1.1", "a private address"),
        ("https://[fd00::1]/", "fd00::1", "a private address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254", "a link-local address"),
        ("https://[fe80::1]/", "fe80::1", "a link-local address"),
        ("https://224.0.0.251/", "224.0.0.251", "a multicast address"),
        ("https://[ff02::1]/", "ff02::1", "a multicast address"),
        ("https://100.64.0.1/", "100.64.0.1", "not a public address"),  # shared (CGNAT)
        ("https://240.0.0.1/", "240.0.0.1", "a reserved address"),
    ],
)
def test_internal_destinations_are_refused_after_resolving(
    url: str, address: str, reason: str
) -> None:
    with pytest.raises(InvalidDestination) as refused:
        vet(url, **LOCAL)
    assert address in str(refused.value)
    assert str(refused.value).endswith(
        f" is {reason}: webhooks are delivered to public addresses only"
    ) or str(refused.value).endswith(
        f" is {address}, {reason}: webhooks are delivered to public addresses only"
    )


def test_public_addresses_and_allowed_hosts_pass() -> None:
    vetted = vet("https://93.184.216.34/hooks/leadblock?x=1", **LOCAL)
    assert vetted.addresses == ["93.184.216.34"]
    assert vetted.destination.host_port == "93.184.216.34:443"
    # What the operator allows: that host and port only, and http only when allowed too.
    allowed = {"allow_http": True, "allowed_hosts": {"127.0.0.1:8080", "[::1]:9000"}}
    assert vet("http://127.0.0.1:8080/hook", **allowed).addresses == ["127.0.0.1"]
    assert vet("http://[::1]:9000/", **allowed).destination.host == "::1"
    with pytest.raises(InvalidDestination, match="a loopback address"):
        vet("http://127.0.0.1:8081/hook", **allowed)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(InvalidDestination, match="does not resolve"):
        vet("https://no-such-host.invalid/hook", **LOCAL)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("fe80::1%eth0", "a link-local address"),
        ("192.0.2.1", "a private address"),  # documentation
    ],
)
def test_address_classes(address: str, reason: str | None) -> None:
    assert forbidden_address(address) == reason
