"""Pasted text to service input, and service errors back to the lines they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadblock.domain.timestamps import iso
from leadblock.errors import InvalidInput

DAY_MS = 86_400_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 1-based, as the user sees the text box
    value: str
    message: str


def pasted_lines(text: str) -> list[tuple[int, str]]:
    """(line number, value) of each non-blank line of a text box."""
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def line_errors(error: InvalidInput, lines: list[tuple[int, str]]) -> list[LineError]:
    """The per-item errors of a service call on `lines`, located by line number."""
    return [
        LineError(lines[item.index][0], lines[item.index][1], item.message)
        for item in error.errors
        if 0 <= item.index < len(lines)
    ]


def positive_int(value: str | None) -> int:
    """A count from a redirect's query string (what was just done), 0 when absent or odd."""
    return int(value) if value is not None and value.isdigit() and len(value) < 10 else 0


def expiry_choice(duration: str, until: str, now: int) -> str | None:
    """The `expiresAt` a "block for" choice names: None (for ever), 30 or 90 days from now,
    or the start (00:00 UTC) of the day `until` (YYYY-MM-DD, as a date input sends it)."""
    if duration in ("", "forever"):
        return None
    if duration in ("30", "90"):
        return iso(now + int(duration) * DAY_MS)
    if duration == "until" and _DATE.fullmatch(until.strip()):
        return f"{until.strip()}T00:00:00Z"
    raise InvalidInput("Choose how long to block: always, 30 or 90 days, or until a date.")
