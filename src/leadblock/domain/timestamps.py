"""Wire form of the millisecond timestamps the database keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


# Cached: the leads of one write share one timestamp, and a page of a list shares few.
@lru_cache(maxsize=4096)
def iso(ms: int) -> str:
    """2026-11-24T13:59:19.123Z — the shape JavaScript's Date.toISOString() produces."""
    seconds = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{seconds}.{ms % 1000:03d}Z"
