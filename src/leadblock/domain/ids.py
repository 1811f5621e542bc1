"""Record ids: opaque to clients, time-ordered for the database.

An id is 128 bits as 32 lowercase hex digits: 48 bits of UTC milliseconds, then 80 bits that
start random and count up within one batch. Ids of one batch therefore sort in request order,
ids of different processes never collide in practice, and inserts land at the end of indexes.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import NamedTuple

_RANDOM_BITS = 80
# Leave headroom so a batch of up to 2**32 ids never carries into the timestamp bits.
_RANDOM_START_BITS = _RANDOM_BITS - 32


# Milliseconds added to this process's clock (`LEADBLOCK_CLOCK_OFFSET_S`, tests and drills
# only): lets a test see leases and expiries as they will be, without waiting for them.
_clock_offset_ms = 0


def set_clock_offset(offset_ms: int) -> None:
    global _clock_offset_ms
    _clock_offset_ms = offset_ms


def now_ms() -> int:
    return time.time_ns() // 1_000_000 + _clock_offset_ms


def new_ids(count: int, at_ms: int) -> list[str]:
    base = (at_ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_START_BITS)
    return [f"{base + offset:032x}" for offset in range(count)]


class IdSeries(NamedTuple):
    """Ids made in SQL, for rows that never pass through Python (a staged import): the id of
    the row numbered n is `high` then `low + n`, each as 16 hex digits. Same shape and order as
    `new_ids`: 64 + 64 bits instead of 48 + 80, with the random start in the low half."""

    high: int
    low: int


def id_series(at_ms: int) -> IdSeries:
    base = (at_ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_START_BITS)
    return IdSeries(base >> 64, base & (1 << 64) - 1)


def new_id(at_ms: int) -> str:
    return new_ids(1, at_ms)[0]


def ids_after(last: str | None, count: int, at_ms: int) -> list[str]:
    """`count` new ids at `at_ms` (`new_ids`), each greater than `last`: `new_ids` starts each
    call at a random point of its millisecond, so ids made one after the other in the same
    millisecond would not otherwise keep their order."""
    ids = new_ids(count, at_ms)
    if last is not None and ids and ids[0] <= last:
        base = int(last, 16) + 1
        ids = [f"{base + offset:032x}" for offset in range(count)]
    return ids


class RisingIds:
    """Ids that sort in the order they are made (`ids_after`): for a log listed by id, such as
    a webhook's delivery attempts."""

    def __init__(self) -> None:
        self.last: str | None = None

    def next(self, at_ms: int) -> str:
        [self.last] = ids_after(self.last, 1, at_ms)
        return self.last


def first_id_at(at_ms: int) -> str:
    """The smallest id issued at or after `at_ms`: where a walk in id order reaches that time."""
    return f"{at_ms << _RANDOM_BITS:032x}"


_RECORD_ID = re.compile(r"^[0-9a-f]{32}$")


def is_record_id(value: str) -> bool:
    """Whether `value` could be an id this service issued; anything else is simply not found,
    without asking the database (which may not even store such text: NUL bytes)."""
    return _RECORD_ID.match(value) is not None
