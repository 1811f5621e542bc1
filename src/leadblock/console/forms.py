"""Pasted text to service input, and service errors back to the lines they came from."""

from __future__ import annotations

from dataclasses import dataclass

from leadblock.errors import InvalidInput


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
