"""Paging rules shared by every list: `limit`, `offset` or an opaque keyset `cursor`."""

from __future__ import annotations

from leadblock.domain.cursors import InvalidCursor, decode_cursor
from leadblock.errors import InvalidInput

MAX_PAGE_SIZE = 1000


def position_from_cursor(
    cursor: str | None, descending: bool, offset: int
) -> tuple[int, str] | None:
    """The (timestamp, id) a page continues after, or None for a first (or offset) page."""
    if cursor is None:
        return None
    if offset:
        raise InvalidInput("Use either cursor or offset, not both.")
    try:
        return decode_cursor(cursor, descending)
    except InvalidCursor as error:
        raise InvalidInput(f"Invalid cursor: {error}.") from None
