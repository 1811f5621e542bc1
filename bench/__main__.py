"""`make bench`: leadblock's hot paths against a real server on 127.0.0.1.

Measures
- bulk: 10,000-lead POST /blocked-leads requests until the workspace holds 1,000,000 blocks
  (leads/s per 100,000, and the server's peak RSS);
- single: 1-lead POST /blocked-leads at 64 concurrent connections (requests/s, p50/p99),
  as the median of several runs.
Everything runs on a throwaway SQLite database and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from tests.conftest import free_port, running_server

from bench.load import http_request, run_load
from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bulk(api: str, api_key: str, pid: int, total: int) -> list[tuple[int, float]]:
    """Return (workspace size after the segment, leads/s of the segment) per 100,000 leads."""
    segments: list[tuple[int, float]] = []
    segment_started, segment_leads, peak_rss = time.perf_counter(), 0, 0.0
    with httpx.Client(
        headers={"x-api-key": api_key, "content-type": "application/json"}, timeout=120
    ) as client:
        for done in range(0, total, 10_000):
            body = orjson.dumps(
                {
                    "leads": [
                        {"publicIdentifier": f"lead-{secrets.token_hex(6)}", "reason": "bench"}
                        for _ in range(10_000)
                    ]
                }
            )
            response = client.post(f"{api}/blocked-leads", content=body)
            assert response.status_code == 200, response.text
            segment_leads += 10_000
            peak_rss = max(peak_rss, rss_mb(pid))
            if (done + 10_000) % 100_000 == 0:
                elapsed = time.perf_counter() - segment_started
                segments.append((done + 10_000, segment_leads / elapsed))
                print(
                    f"  bulk: {done + 10_000:>9,} blocks  {segment_leads / elapsed:>9,.0f} "
                    f"leads/s  rss {peak_rss:.0f} MB",
                    flush=True,
                )
                segment_started, segment_leads = time.perf_counter(), 0
    return segments


def single(port: int, api_key: str, runs: int, requests: int) -> list[float]:
    rates = []
    for run in range(runs):
        prefix = secrets.token_hex(4)

        def make(number: int, prefix: str = prefix) -> bytes:
            body = b'{"leads":[{"publicIdentifier":"s-%s-%d","reason":"bench"}]}' % (
                prefix.encode(),
                number,
            )
            return http_request("POST", "/api/v1/blocked-leads", api_key, body)

        result = run_load("127.0.0.1", port, make, connections=64, total=requests, max_seconds=60)
        assert set(result.statuses) == {200}, result.statuses
        rates.append(result.per_second)
        print(
            f"  single run {run + 1}: {result.per_second:,.0f} req/s  "
            f"p50 {result.median_ms:.1f} ms  "
            f"p99 {result.percentile(0.99):.1f} ms",
            flush=True,
        )
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bulk-total", type=int, default=1_000_000)
    parser.add_argument("--single-requests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        database = Database(Settings(database_url=url))
        migrate(database)
        with database.transaction(write=True) as tx:
            _w, _k, bulk_key = workspaces.create_workspace(tx, "bulk")
            _w, _k, single_key = workspaces.create_workspace(tx, "single")
        database.dispose()
        with running_server(url, Path(folder) / "server.log") as server:
            port = int(server.url.rsplit(":", 1)[1])
            print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite")
            segments = bulk(server.api, bulk_key, server.process.pid, args.bulk_total)
            rates = single(port, single_key, args.runs, args.single_requests)
        overall = args.bulk_total / sum(100_000 / rate for _, rate in segments)
        print(
            f"bulk overall: {overall:,.0f} leads/s; "
            f"first 100k {segments[0][1]:,.0f}, last 100k {segments[-1][1]:,.0f}"
        )
        print(
            f"single-lead POST, 64 connections: "
            f"median {statistics.median(rates):,.0f} req/s over {args.runs} runs"
        )


if __name__ == "__main__":
    free_port()  # imported for running_server's use; keeps ruff from flagging the shared helper
    main()
