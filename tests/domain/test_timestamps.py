"""`expiresAt`: an RFC 3339 instant in the coming 100 years, one table row per case."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadblock.domain.timestamps import InvalidExpiry, iso, parse_expiry

NOW = 1_795_000_000_000  # 2026-11-18T11:06:40Z
FORMAT = "must be an RFC 3339 date and time with Z or an offset, e.g. 2027-03-01T00:00:00Z"

VALID = [
    ("2027-03-01T00:00:00Z", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01T00:00:00z", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01t00:00:00Z", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01 00:00:00Z", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01T01:00:00+01:00", "2027-03-01T00:00:00.000Z"),
    ("2027-02-28T19:00:00-05:00", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01T05:30:00+05:30", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01T00:00:00+00:00", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01T00:00:00-00:00", "2027-03-01T00:00:00.000Z"),
    ("2027-03-01T00:00:00.5Z", "2027-03-01T00:00:00.500Z"),
    ("2027-03-01T00:00:00.123456789Z", "2027-03-01T00:00:00.123Z"),
    ("2028-02-29T12:00:00Z", "2028-02-29T12:00:00.000Z"),  # a leap day
    ("2026-11-18T11:06:40.001Z", "2026-11-18T11:06:40.001Z"),  # a millisecond ahead
    ("2126-11-01T00:00:00Z", "2126-11-01T00:00:00.000Z"),  # just under 100 years
]

INVALID = [
    ("", FORMAT),
    ("2027-03-01", FORMAT),  # a date alone: which midnight?
    ("2027-03-01T00:00:00", FORMAT),  # local time: whose?
    ("2027-03-01T00:00Z", FORMAT),
    ("2027-3-1T00:00:00Z", FORMAT),
    ("2027-03-01T00:00:00.Z", FORMAT),
    ("2027-03-01T00:00:00.1234567890Z", FORMAT),
    ("2027-03-01T00:00:00+0100", FORMAT),
    ("2027-03-01T00:00:00 Z", FORMAT),
    (" 2027-03-01T00:00:00Z", FORMAT),
    ("2027-03-01T00:00:00Z\n", FORMAT),
    ("١٢٣٤-03-01T00:00:00Z", FORMAT),  # digits of another script
    ("1795000000000", FORMAT),
    ("2027-02-29T00:00:00Z", "is not a valid date and time"),
    ("2027-13-01T00:00:00Z", "is not a valid date and time"),
    ("2027-03-01T24:00:00Z", "is not a valid date and time"),
    ("2027-03-01T23:59:60Z", "is not a valid date and time"),  # no leap seconds
    ("2027-03-01T00:00:00+24:00", "has an offset that is not a valid offset"),
    ("2027-03-01T00:00:00+01:60", "has an offset that is not a valid offset"),
    ("2026-11-18T11:06:40Z", "is not in the future"),  # exactly now
    ("2020-01-01T00:00:00Z", "is not in the future"),
    ("2127-01-01T00:00:00Z", "is more than 100 years ahead"),
    ("9999-12-31T23:59:59Z", "is more than 100 years ahead"),
    ("0000-01-01T00:00:00Z", "is not a valid date and time"),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_expiry_instant(value: str, expected: str) -> None:
    assert iso(parse_expiry(value, NOW)) == expected


@pytest.mark.parametrize(("value", "why"), INVALID)
def test_invalid_expiry_says_why(value: str, why: str) -> None:
    with pytest.raises(InvalidExpiry) as raised:
        parse_expiry(value, NOW)
    assert str(raised.value) == why


@given(st.integers(min_value=NOW + 1, max_value=NOW + 99 * 365 * 24 * 3600 * 1000))
def test_every_instant_sent_back_as_the_api_writes_it_is_itself(at_ms: int) -> None:
    assert parse_expiry(iso(at_ms), NOW) == at_ms
