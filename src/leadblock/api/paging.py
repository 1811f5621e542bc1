"""Query parameters and headers shared by every paged list (limit, cursor, X-Next-Cursor,
X-Total-Count, Link).

Integer parameters arrive as text: `limit=42.0` is 42 (JSON Schema counts 42.0 as an integer, and
pydantic reads integral decimals from text), `limit=42.5` a 400."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from leadblock.api.openapi import PAGING_HEADERS
from leadblock.api.schemas import CURSOR_FORMAT, CURSOR_RULES
from leadblock.api.unit import Reply
from leadblock.services.paging import MAX_OFFSET, MAX_PAGE_SIZE

PAGED: dict[int | str, dict[str, Any]] = {200: {"headers": PAGING_HEADERS}}
_INTEGER_TEXT = re.compile(r"-?[0-9]+(?:\.0+)?")


def _integer_text(value: Any) -> Any:
    """An integer query parameter is digits (or 42.0): pydantic alone also took " 42", "\v3"
    or "4_2", text the document does not call an integer."""
    if isinstance(value, str) and not _INTEGER_TEXT.fullmatch(value):
        # pydantic's own error for text that is no integer, so every such answer reads alike.
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    return value


IntegerText = BeforeValidator(_integer_text)
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size, 1–1000"), IntegerText]
Offset = Annotated[
    int,
    Query(ge=0, le=MAX_OFFSET, description="Rows to skip (use cursor for deep pages)"),
    IntegerText,
]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        # A campaign block's position holds its identifier: up to 100 characters of UTF-8.
        max_length=600,
        pattern="^[A-Za-z0-9_-]+$",
        description=CURSOR_RULES,
        json_schema_extra={"format": CURSOR_FORMAT},
    ),
]


def paged(
    items: list[dict[str, Any]], total: int, next_cursor: str | None, request: Request
) -> Reply:
    headers = {"X-Total-Count": str(total)}
    if next_cursor:
        next_url = request.url.remove_query_params("offset").include_query_params(
            cursor=next_cursor
        )
        headers["X-Next-Cursor"] = next_cursor
        headers["Link"] = f'<{next_url}>; rel="next"'
    return Reply(items, headers)
