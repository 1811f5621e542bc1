"""The SQLite write gate: first come first served, bounded waits, and no gate lost to a waiter
that timed out or went away."""

from __future__ import annotations

import asyncio

import pytest

from leadblock.api.unit import WriteGate
from leadblock.errors import ServiceUnavailable


def test_writers_pass_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        gate, order = WriteGate(timeout_s=5), []

        async def writer(number: int) -> None:
            async with gate.held():
                order.append(number)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(writer(number) for number in range(5)))
        return order

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]


def test_a_wait_past_the_timeout_is_a_503_and_the_gate_stays_usable() -> None:
    async def scenario() -> list[str]:
        gate, seen = WriteGate(timeout_s=0.05), []
        release = asyncio.Event()

        async def holder() -> None:
            async with gate.held():
                await release.wait()

        holding = asyncio.create_task(holder())
        await asyncio.sleep(0)
        with pytest.raises(ServiceUnavailable):
            async with gate.held():
                seen.append("never")
        release.set()
        await holding
        async with gate.held() as seconds_left:
            seen.append(f"after, {seconds_left > 0}")
        return seen

    assert asyncio.run(scenario()) == ["after, True"]


def test_a_cancelled_waiter_does_not_keep_the_gate() -> None:
    async def scenario() -> str:
        gate = WriteGate(timeout_s=5)
        release = asyncio.Event()

        async def holder() -> None:
            async with gate.held():
                await release.wait()

        async def waiter() -> None:
            async with gate.held():
                await asyncio.sleep(10)

        holding = asyncio.create_task(holder())
        await asyncio.sleep(0)
        waiting = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        waiting.cancel()
        release.set()
        await holding
        async with asyncio.timeout(1), gate.held():
            return "acquired"

    assert asyncio.run(scenario()) == "acquired"
