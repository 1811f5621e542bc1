"""Paged lists: one page (`Page`), and where the next one starts (`X-Next-Cursor`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from leadblock_client.calls import Call, list_reader
from leadblock_client.errors import UnexpectedResponseError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, `total` (`X-Total-Count`: rows in the whole list) and
    `next_cursor` (`X-Next-Cursor`; None on the last page)."""

    items: tuple[T, ...]
    total: int
    next_cursor: str | None


def page_reader(model: type[T]) -> Callable[[httpx.Response], Page[T]]:
    """Reads a page of `model`s with its paging headers."""
    read_items = list_reader(model)

    def read(response: httpx.Response) -> Page[T]:
        total = response.headers.get("X-Total-Count", "")
        if not total.isdigit():
            raise UnexpectedResponseError(f"a list answered X-Total-Count {total!r}")
        cursor = response.headers.get("X-Next-Cursor") or None
        return Page(read_items(response), int(total), cursor)

    return read


def next_page(call: Call[Page[T]], page: Page[T]) -> Call[Page[T]] | None:
    """The call for the page after `page`, None after the last. The cursor carries the
    position, so an `offset` or `skip` of the first call is dropped (the server refuses both
    together)."""
    if page.next_cursor is None:
        return None
    return call.with_query(cursor=page.next_cursor, offset=None, skip=None)
