"""Streamed answers (exports, the console's import progress) count as foreground work while
they are produced, so background work (webhook delivery) yields to them; the count falls back
when the stream ends or its client goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from leadblock.services.background import Foreground
from leadblock.web.streaming import in_foreground


def chunks(foreground: Foreground, seen: list[bool]) -> Iterator[str]:
    for number in range(3):
        seen.append(foreground.busy)  # read in the thread pool, as an export's pages are
        yield str(number)


def test_a_stream_is_foreground_work_until_its_last_chunk() -> None:
    foreground, seen = Foreground(), []

    async def consume() -> list[str]:
        return [chunk async for chunk in in_foreground(foreground, chunks(foreground, seen))]

    assert asyncio.run(consume()) == ["0", "1", "2"]
    assert seen == [True, True, True]
    assert not foreground.busy


def test_a_stream_its_client_left_is_foreground_work_no_more() -> None:
    foreground, seen = Foreground(), []

    async def leave_early() -> None:
        stream = in_foreground(foreground, chunks(foreground, seen))
        assert await anext(stream) == "0"
        assert foreground.busy
        await stream.aclose()  # what the server does when the client disconnects

    asyncio.run(leave_early())
    assert not foreground.busy
