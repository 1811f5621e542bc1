"""Opaque keyset cursors: the (timestamp, id) position of the last row a page returned.

A cursor is URL-safe base64 of `<direction>:<timestamp>:<id>`, so a deep page seeks the index
exactly where the previous one stopped instead of counting past `offset` rows.
"""

from __future__ import annotations

import base64
import binascii
import re

_PAYLOAD = re.compile(r"^([ad]):(\d{1,19}):(.+)$", re.DOTALL)
# The tie-breaking key of a position: a record id, or (campaign blocks, which have none) the
# canonical identifier.
RECORD_ID = re.compile(r"[0-9a-f]{32}")
IDENTIFIER_KEY = re.compile(r"[^\x00-\x1f\x7f-\x9f/?#%.+@:']{3,100}")


class InvalidCursor(ValueError):
    pass


def encode_cursor(descending: bool, position: tuple[int, str]) -> str:
    payload = f"{'d' if descending else 'a'}:{position[0]}:{position[1]}"
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, descending: bool, key: re.Pattern[str] = RECORD_ID
) -> tuple[int, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidCursor("cursor is not one this service issued") from None
    match = _PAYLOAD.match(payload)
    if not match or not key.fullmatch(match.group(3)):
        raise InvalidCursor("cursor is not one this service issued")
    if (match.group(1) == "d") != descending:
        raise InvalidCursor("cursor was issued for the other sort order")
    timestamp = int(match.group(2))
    if timestamp >= 2**63:  # beyond a database integer: not one of ours
        raise InvalidCursor("cursor is not one this service issued")
    return timestamp, match.group(3)
