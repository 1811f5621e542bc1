"""Where a webhook may be delivered: its URL's shape (`domain.webhooks`), then every address
its host resolves to, at creation, on every change of the URL and before every delivery."""

from __future__ import annotations

import socket
from collections.abc import Callable, Collection
from typing import Any, NamedTuple

from leadblock.domain.webhooks import (
    Destination,
    InvalidDestination,
    forbidden_address,
    parse_destination,
)

Resolver = Callable[..., list[tuple[Any, ...]]]


class VettedDestination(NamedTuple):
    destination: Destination
    addresses: list[str]  # what the host resolved to, every one of them allowed


def vet(
    url: str,
    *,
    allow_http: bool,
    allowed_hosts: Collection[str],
    resolve: Resolver = socket.getaddrinfo,
) -> VettedDestination:
    """The destination of `url` and the addresses it resolves to now; `InvalidDestination`
    when leadblock must not post there. A `host:port` of `allowed_hosts` may resolve anywhere
    (a receiver on the operator's own network, which the operator named)."""
    destination = parse_destination(url, allow_http=allow_http)
    try:
        found = resolve(destination.host, destination.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InvalidDestination(f"url's host {destination.host} does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise InvalidDestination(f"url's host {destination.host} does not resolve")
    if destination.host_port not in allowed_hosts:
        for address in addresses:
            reason = forbidden_address(address)
            if reason is not None:
                where = "" if address == destination.host else f"{address}, "
                raise InvalidDestination(
                    f"url's host {destination.host} is {where}{reason}: webhooks are "
                    "delivered to public addresses only"
                )
    return VettedDestination(destination, addresses)
