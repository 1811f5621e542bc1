"""Wire form of the millisecond timestamps the database keeps."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ms: int) -> str:
    """2026-11-24T13:59:19.123Z — the shape JavaScript's Date.toISOString() produces."""
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )
