"""Streamed answers (exports, the console's import progress) count as foreground work while
they are produced, so background work (webhook delivery) yields to them; the count falls back
when the stream ends or its client goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from leadblock.services.background import Foreground
from leadblock.web.streaming import in_foreground

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`coroutine` on a loop of its own thread: the browser tests' Playwright keeps a loop
    running in the main thread for the session."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def chunks(foreground: Foreground, seen: list[bool]) -> Iterator[str]:
    for number in range(3):
        seen.append(foreground.busy)  # read in the thread pool, as an export's pages are
        yield str(number)


def test_a_stream_is_foreground_work_until_its_last_chunk() -> None:
    foreground, seen = Foreground(), []

    async def consume() -> list[str]:
        return [chunk async for chunk in in_foreground(foreground, chunks(foreground, seen))]

    assert run(consume()) == ["0", "1", "2"]
    assert seen == [True, True, True]
    assert not foreground.busy


def test_a_stream_its_client_left_is_foreground_work_no_more() -> None:
    foreground, seen = Foreground(), []

    async def leave_early() -> None:
        stream = in_foreground(foreground, chunks(foreground, seen))
        assert await anext(stream) == "0"
        assert foreground.busy
        await stream.aclose()  # what the server does when the client disconnects

    run(leave_early())
    assert not foreground.busy
