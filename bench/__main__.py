"""`make bench`: leadblock's hot paths against a real server on 127.0.0.1.

Measures, on a throwaway SQLite database and then on a throwaway PostgreSQL 15 cluster
(`--backends`), with one server process:
- bulk: 10,000-lead POST /blocked-leads requests until the workspace holds 1,000,000 blocks
  (leads/s per 100,000, and the server's peak RSS);
- check: POST /blocked-leads/check with 10,000 identifiers (half blocked) against those
  1,000,000 blocks (latency, median of 20);
- dispatch: claim 100 leads from a 100,000-lead campaign while the workspace holds 100,000
  blocks, 10% of them leads of the campaign (latency, median of 30);
- single: 1-lead POST /blocked-leads at 64 concurrent connections (requests/s, p50/p99,
  median of several runs).
Latencies are measured by the client and include HTTP and JSON on both sides.
Everything is bounded in count and time and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from tests.postgres import postgres_cluster
from tests.server import running_server

from bench.load import http_request, run_load
from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate

BATCH = 10_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def client(api: str, api_key: str) -> httpx.Client:
    headers = {"x-api-key": api_key, "content-type": "application/json"}
    return httpx.Client(base_url=api, headers=headers, timeout=120)


def post(http: httpx.Client, path: str, body: object) -> httpx.Response:
    response = http.post(path, content=orjson.dumps(body))
    assert response.status_code == 200, response.text
    return response


def block_batch(identifiers: list[str]) -> dict[str, object]:
    return {"leads": [{"publicIdentifier": ident, "reason": "bench"} for ident in identifiers]}


def bulk(http: httpx.Client, pid: int, total: int) -> tuple[list[tuple[int, float]], list[str]]:
    """Blocks `total` new leads; returns leads/s per 100,000 and a sample of what was blocked."""
    segments: list[tuple[int, float]] = []
    sample: list[str] = []
    segment_started, segment_leads, peak_rss = time.perf_counter(), 0, 0.0
    for done in range(BATCH, total + 1, BATCH):
        identifiers = [f"lead-{secrets.token_hex(6)}" for _ in range(BATCH)]
        sample += identifiers[:500]
        body = orjson.dumps(block_batch(identifiers))
        response = http.post("/blocked-leads", content=body)
        assert response.status_code == 200, response.text
        segment_leads += BATCH
        peak_rss = max(peak_rss, rss_mb(pid))
        if done % 100_000 == 0 or done == total:
            rate = segment_leads / (time.perf_counter() - segment_started)
            segments.append((done, rate))
            print(f"  bulk: {done:>9,} blocks  {rate:>9,.0f} leads/s  rss {peak_rss:.0f} MB")
            segment_started, segment_leads = time.perf_counter(), 0
    return segments, sample


def timed(
    runs: int, request: Callable[[], httpx.Response], verify: Callable[[Any], None]
) -> list[float]:
    """Latency of `request` until its whole answer has arrived; `verify` runs untimed."""
    latencies = []
    for _ in range(runs):
        started = time.perf_counter()
        response = request()
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        verify(response.json())
    return latencies


def check_latency(http: httpx.Client, blocked_sample: list[str]) -> list[float]:
    known = random.sample(blocked_sample, 5000)
    body = {"publicIdentifiers": known + [f"free-{secrets.token_hex(6)}" for _ in range(5000)]}

    content = orjson.dumps(body)

    def verify(answer: Any) -> None:
        assert sum(1 for result in answer["results"] if result["blocked"]) == 5000

    return timed(20, lambda: http.post("/blocked-leads/check", content=content), verify)


def dispatch_latency(http: httpx.Client, size: int) -> list[float]:
    leads = [f"prospect-{i:06d}" for i in range(size)]
    blocked = random.sample(leads, size // 10)
    blocked += [f"other-{secrets.token_hex(6)}" for _ in range(size - len(blocked))]
    for start in range(0, size, BATCH):
        post(http, "/blocked-leads", block_batch(blocked[start : start + BATCH]))
    campaign = post(http, "/campaigns", {"name": "bench"}).json()["id"]
    for start in range(0, size, BATCH):
        batch = [{"publicIdentifier": ident} for ident in leads[start : start + BATCH]]
        post(http, f"/campaigns/{campaign}/leads", {"leads": batch})

    def verify(answer: Any) -> None:
        assert len(answer["leads"]) == 100

    return timed(
        30, lambda: http.post(f"/campaigns/{campaign}/dispatch", content=b'{"limit":100}'), verify
    )


def single(port: int, api_key: str, runs: int, requests: int) -> list[float]:
    rates = []
    for run in range(runs):
        prefix = secrets.token_hex(4).encode()

        def make(number: int, prefix: bytes = prefix) -> bytes:
            body = b'{"leads":[{"publicIdentifier":"s-%s-%d","reason":"bench"}]}' % (prefix, number)
            return http_request("POST", "/api/v1/blocked-leads", api_key, body)

        result = run_load("127.0.0.1", port, make, connections=64, total=requests, max_seconds=60)
        assert set(result.statuses) == {200}, result.statuses
        rates.append(result.per_second)
        print(
            f"  single run {run + 1}: {result.per_second:,.0f} req/s  "
            f"p50 {result.median_ms:.1f} ms  p99 {result.percentile(0.99):.1f} ms"
        )
    return rates


def describe(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"


@contextmanager
def database_url(backend: str, folder: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder}/bench.db"
        return
    with postgres_cluster() as cluster:
        yield cluster.create_database("leadblock_bench")


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, str]:
    print(f"== {backend}", flush=True)
    with tempfile.TemporaryDirectory() as folder, database_url(backend, folder) as url:
        database = Database(Settings(database_url=url))
        migrate(database)
        with database.transaction(write=True) as tx:
            keys = [
                workspaces.create_workspace(tx, name)[2] for name in ("bulk", "dispatch", "single")
            ]
        database.dispose()
        with running_server(
            url, Path(folder) / "server.log", LEADBLOCK_LOG_LEVEL="warning"
        ) as server:
            port = int(server.url.rsplit(":", 1)[1])
            with client(server.api, keys[0]) as http:
                segments, sample = bulk(http, server.process.pid, args.bulk_total)
                checks = check_latency(http, sample)
            with client(server.api, keys[1]) as http:
                claims = dispatch_latency(http, args.dispatch_size)
            rates = single(port, keys[2], args.runs, args.single_requests)
    overall = args.bulk_total / sum(100_000 / rate for _, rate in segments)
    return {
        "bulk leads/s (overall; first → last 100k)": (
            f"{overall:,.0f} ({segments[0][1]:,.0f} → {segments[-1][1]:,.0f})"
        ),
        f"check 10,000 vs {args.bulk_total:,}": describe(checks),
        f"dispatch 100 of {args.dispatch_size:,}": describe(claims),
        "single-lead POST req/s, 64 conns": f"{statistics.median(rates):,.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--bulk-total", type=int, default=1_000_000)
    parser.add_argument("--dispatch-size", type=int, default=100_000)
    parser.add_argument("--single-requests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    results = {backend: run_backend(backend, args) for backend in args.backends.split(",")}
    backends = list(results)
    print("\n| path | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    for row in results[backends[0]]:
        print(f"| {row} | " + " | ".join(results[b][row] for b in backends) + " |")


if __name__ == "__main__":
    main()
