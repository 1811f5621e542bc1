"""Cursors round-trip, and anything this service did not issue is refused, never a crash."""

from __future__ import annotations

import base64

import pytest

from leadblock.domain.cursors import IDENTIFIER_KEY, InvalidCursor, decode_cursor, encode_cursor


def test_round_trip() -> None:
    position = (1_764_000_000_000, "0" * 31 + "a")
    assert decode_cursor(encode_cursor(True, position), descending=True) == position


def forged(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


NOT_ISSUED = "cursor is not one this service issued"


@pytest.mark.parametrize(
    ("cursor", "descending", "why"),
    [
        (forged(f"d:{2**63}:{'0' * 32}"), True, NOT_ISSUED),  # beyond a database integer
        (forged(f"a:1:{'0' * 32}"), True, "cursor was issued for the other sort order"),
        (forged("d:1:not-an-id"), True, NOT_ISSUED),
        ("%%%", True, NOT_ISSUED),
        ("", True, NOT_ISSUED),
    ],
)
def test_forged_cursors_are_refused(cursor: str, descending: bool, why: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor, descending)
    assert str(raised.value) == why


@pytest.mark.parametrize("identifier", ["john-doe", "josé-garcía", "zoë-🦄-fan", "a" * 100])
def test_an_identifier_keyed_cursor_round_trips_and_needs_its_key(identifier: str) -> None:
    cursor = encode_cursor(True, (1_764_000_000_000, identifier))
    assert decode_cursor(cursor, True, IDENTIFIER_KEY) == (1_764_000_000_000, identifier)
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, True)  # a record id is expected by default


@pytest.mark.parametrize("key", ["ab", "a" * 101, "in/x", "a:b\x00c", "john.doe"])
def test_an_identifier_key_that_is_no_identifier_is_refused(key: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(forged(f"d:1:{key}"), True, IDENTIFIER_KEY)
