"""A small closed-loop HTTP/1.1 load generator for 127.0.0.1: N keep-alive connections, each
sending its next request as soon as the previous answer is read. Bounded by a request count and
a deadline, so it always stops by itself."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    latencies_ms: list[float]
    # (request number, status, latency ms) of every answer, in completion order.
    samples: list[tuple[int, int, float]]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)


async def _connection(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    counter: list[int],
    total: int,
    deadline: float,
    statuses: dict[int, int],
    latencies: list[float],
    samples: list[tuple[int, int, float]],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while counter[0] < total and time.monotonic() < deadline:
            number = counter[0]
            counter[0] += 1
            started = time.perf_counter()
            writer.write(make_request(number))
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latency = (time.perf_counter() - started) * 1000
            latencies.append(latency)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
            samples.append((number, status, latency))
    finally:
        writer.close()


def run_load(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    *,
    connections: int,
    total: int,
    max_seconds: float,
) -> LoadResult:
    async def main() -> LoadResult:
        counter = [0]
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        samples: list[tuple[int, int, float]] = []
        started = time.monotonic()
        await asyncio.gather(
            *(
                _connection(
                    host,
                    port,
                    make_request,
                    counter,
                    total,
                    started + max_seconds,
                    statuses,
                    latencies,
                    samples,
                )
                for _ in range(connections)
            )
        )
        return LoadResult(len(latencies), time.monotonic() - started, statuses, latencies, samples)

    return asyncio.run(main())


def http_request(
    method: str, path: str, api_key: str, body: bytes = b"", extra_headers: str = ""
) -> bytes:
    """A request's bytes; `extra_headers` are whole header lines, each ending in CRLF."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {api_key}\r\n"
        f"{extra_headers}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body
