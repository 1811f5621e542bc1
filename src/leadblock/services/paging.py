"""Paging rules shared by every list: `limit`, `offset` or an opaque keyset `cursor`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from leadblock.domain.cursors import RECORD_ID, InvalidCursor, decode_cursor, encode_cursor
from leadblock.errors import InvalidInput

MAX_PAGE_SIZE = 1000
# Far beyond any list, well inside a 64-bit database integer.
MAX_OFFSET = 1_000_000_000
Row = TypeVar("Row")


def position_from_cursor(
    cursor: str | None, descending: bool, offset: int, key: re.Pattern[str] = RECORD_ID
) -> tuple[int, str] | None:
    """The (timestamp, id) a page continues after, or None for a first (or offset) page."""
    if cursor is None:
        return None
    if offset:
        raise InvalidInput("Use either cursor or offset, not both.")
    try:
        return decode_cursor(cursor, descending, key)
    except InvalidCursor as error:
        raise InvalidInput(f"Invalid cursor: {error}.") from None


def cut_page(
    rows: Sequence[Row],
    limit: int,
    descending: bool,
    position: Callable[[Row], tuple[int, str]],
) -> tuple[list[Row], str | None]:
    """Split `limit + 1` fetched rows into the page and the cursor of the next one, if any."""
    items = list(rows[:limit])
    if len(rows) <= limit:
        return items, None
    return items, encode_cursor(descending, position(items[-1]))
