"""Wire form of the millisecond timestamps the database keeps, and the expiry instants clients
send (`expiresAt`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache


# Cached: the leads of one write share one timestamp, and a page of a list shares few.
@lru_cache(maxsize=4096)
def iso(ms: int) -> str:
    """2026-11-24T13:59:19.123Z — the shape JavaScript's Date.toISOString() produces."""
    seconds = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{seconds}.{ms % 1000:03d}Z"


def optional_iso(ms: int | None) -> str | None:
    return None if ms is None else iso(ms)


MAX_EXPIRY_YEARS = 100
_YEAR_MS = 3_652_425 * 24 * 3600 * 1000 // 10_000  # a Gregorian year on average
# RFC 3339 `date-time`: a full date, `T` (or the space RFC 3339 allows applications), a full
# time with optional fraction, and `Z` or a numeric offset; nothing else (no bare dates, no
# local times: an instant must be one instant everywhere).
_RFC_3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # digits are 0-9, not any script's
)
_FORMAT = "an RFC 3339 date and time with Z or an offset, e.g. 2027-03-01T00:00:00Z"


class InvalidExpiry(ValueError):
    """An `expiresAt` that names no instant in the coming 100 years; str() says why."""


def parse_expiry(value: str, now_ms: int) -> int:
    """The instant, in milliseconds, of an `expiresAt` (fractions below a millisecond are
    dropped): RFC 3339 with `Z` or an offset, after `now_ms`, at most 100 years ahead."""
    match = _RFC_3339.fullmatch(value)
    if match is None:
        raise InvalidExpiry(f"must be {_FORMAT}")
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    if int(off_h or 0) > 23 or int(off_m or 0) > 59:
        raise InvalidExpiry("has an offset that is not a valid offset")
    offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
    try:
        instant = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(-offset if sign == "-" else offset),
        )
    except ValueError:
        raise InvalidExpiry("is not a valid date and time") from None
    millis = int(((fraction or "") + "000")[:3])
    try:
        at_ms = int(instant.timestamp()) * 1000 + millis
    except (OverflowError, ValueError):
        raise InvalidExpiry(f"is more than {MAX_EXPIRY_YEARS} years ahead") from None
    if at_ms <= now_ms:
        raise InvalidExpiry("is not in the future")
    if at_ms > now_ms + MAX_EXPIRY_YEARS * _YEAR_MS:
        raise InvalidExpiry(f"is more than {MAX_EXPIRY_YEARS} years ahead")
    return at_ms
