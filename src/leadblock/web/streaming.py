"""Answers streamed from work done in the thread pool (exports, the console's import progress),
counted as large request work while they run: background work yields to them
(services/background.py) as it does to the request unit's large work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

from starlette.concurrency import iterate_in_threadpool

from leadblock.services.background import Foreground

T = TypeVar("T")


async def in_foreground(foreground: Foreground, chunks: Iterator[T]) -> AsyncIterator[T]:
    """`chunks`, each produced in the thread pool, counted as foreground work until the last
    one or until the client goes away."""
    with foreground.working():
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
