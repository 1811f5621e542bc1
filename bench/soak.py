"""`make soak`: a bounded soak run against a real server on 127.0.0.1, on each backend.

64 keep-alive connections send a mix of writes, reads, checks and dispatches for `--seconds`
(60 by default) to one `leadblock serve` process with its default rate limit, spread over 8
workspaces. It fails (exit 1) on any answer other than 200 and 429, or if the server's memory
grows more than `--max-growth-mb` between the end of the first quarter and the end of the run;
it prints p50/p99 per kind of request and records them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
from tests.server import running_server

from bench.__main__ import database_url, machine, rss_mb
from bench.load import http_request, run_load
from bench.report import replace_section
from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate

WORKSPACES = 8
CAMPAIGN_LEADS = 10_000
# (kind, share of requests out of 10)
MIX = (
    ("block one", 3),
    ("check one (GET)", 3),
    ("block 100", 1),
    ("check 100 (POST)", 1),
    ("list page", 1),
    ("dispatch 5", 1),
)
KINDS = [kind for kind, share in MIX for _ in range(share)]


def prepare(api: str, keys: list[str]) -> list[str]:
    """A campaign of `CAMPAIGN_LEADS` leads per workspace; returns the campaign ids."""
    campaigns = []
    for number, key in enumerate(keys):
        with httpx.Client(base_url=api, headers={"x-api-key": key}, timeout=120) as http:
            campaign = http.post("/campaigns", json={"name": "soak"}).json()["id"]
            leads = [{"publicIdentifier": f"soak-{number}-{i}"} for i in range(CAMPAIGN_LEADS)]
            for start in range(0, CAMPAIGN_LEADS, 5000):
                body = {"leads": leads[start : start + 5000]}
                response = http.post(f"/campaigns/{campaign}/leads", json=body)
                assert response.status_code == 200, response.text
            campaigns.append(campaign)
    return campaigns


def request_maker(keys: list[str], campaigns: list[str]) -> Callable[[int], bytes]:
    def make(number: int) -> bytes:
        key = keys[number % len(keys)]
        campaign = campaigns[number % len(keys)]
        kind = KINDS[(number // len(keys)) % len(KINDS)]
        lead = f"soaked-{number}"
        if kind == "block one":
            body = orjson.dumps({"leads": [{"publicIdentifier": lead, "reason": "soak"}]})
            return http_request("POST", "/api/v1/blocked-leads", key, body)
        if kind == "check one (GET)":
            path = f"/api/v1/blocked-leads/check?publicIdentifier=soaked-{number // 2}"
            return http_request("GET", path, key)
        if kind == "block 100":
            leads = [{"publicIdentifier": f"{lead}-{i}"} for i in range(100)]
            return http_request(
                "POST", "/api/v1/blocked-leads", key, orjson.dumps({"leads": leads})
            )
        if kind == "check 100 (POST)":
            ids = [f"soaked-{number - i}" for i in range(100)]
            body = orjson.dumps({"publicIdentifiers": ids})
            return http_request("POST", "/api/v1/blocked-leads/check", key, body)
        if kind == "list page":
            return http_request("GET", "/api/v1/blocked-leads?limit=50", key)
        return http_request("POST", f"/api/v1/campaigns/{campaign}/dispatch", key, b'{"limit":5}')

    return make


def kind_of(number: int) -> str:
    return KINDS[(number // WORKSPACES) % len(KINDS)]


def soak(backend: str, seconds: float, max_growth_mb: float) -> tuple[list[str], bool]:
    print(f"== {backend}: {seconds:.0f} s at 64 connections", flush=True)
    with tempfile.TemporaryDirectory() as folder, database_url(backend, folder) as url:
        database = Database(Settings(database_url=url))
        migrate(database)
        with database.transaction(write=True) as tx:
            keys = [workspaces.create_workspace(tx, f"soak-{i}")[2] for i in range(WORKSPACES)]
        database.dispose()
        # The server's default rate limit applies: 429s are expected, anything else is not.
        with running_server(
            url,
            Path(folder) / "server.log",
            LEADBLOCK_LOG_LEVEL="warning",
            LEADBLOCK_RATE_LIMIT=Settings.model_fields["rate_limit"].default,
        ) as server:
            campaigns = prepare(server.api, keys)
            pid = server.process.pid
            memory: list[tuple[float, float]] = []
            done = threading.Event()

            def sample() -> None:
                start = time.monotonic()
                while not done.wait(1):
                    memory.append((time.monotonic() - start, rss_mb(pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            port = int(server.url.rsplit(":", 1)[1])
            result = run_load(
                "127.0.0.1",
                port,
                request_maker(keys, campaigns),
                connections=64,
                total=10**9,
                max_seconds=seconds,
            )
            done.set()
            sampler.join()
    quarter = next(rss for at, rss in memory if at >= seconds / 4)
    growth = memory[-1][1] - quarter
    unexpected = {status: n for status, n in result.statuses.items() if status not in (200, 429)}
    lines = [
        f"### {backend}",
        "",
        f"{result.requests:,} requests in {result.seconds:.0f} s ({result.per_second:,.0f}/s); "
        f"statuses: {dict(sorted(result.statuses.items()))}; server RSS "
        f"{memory[0][1]:.0f} MB at 1 s, {quarter:.0f} MB at {seconds / 4:.0f} s, "
        f"{memory[-1][1]:.0f} MB at the end (growth after the first quarter "
        f"{growth:+.1f} MB; limit {max_growth_mb:.0f} MB).",
        "",
        "| request | answers | 429s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, _share in MIX:
        samples = [s for s in result.samples if kind_of(s[0]) == kind]
        latencies = sorted(latency for _number, _status, latency in samples)
        limited = sum(1 for _number, status, _latency in samples if status == 429)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        lines.append(
            f"| {kind} | {len(samples):,} | {limited:,} | "
            f"{statistics.median(latencies):.1f} | {p99:.1f} |"
        )
    ok = not unexpected and growth <= max_growth_mb
    if unexpected:
        lines += ["", f"**Unexpected statuses: {unexpected}**"]
    print("\n".join(lines), flush=True)
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-growth-mb", type=float, default=30)
    parser.add_argument("--report", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args()
    sections, all_ok = [], True
    for backend in args.backends.split(","):
        lines, ok = soak(backend, args.seconds, args.max_growth_mb)
        sections += [*lines, ""]
        all_ok &= ok
    command = "python -m bench.soak " + " ".join(sys.argv[1:])
    text = "\n".join(
        [
            "## Soak",
            "",
            f"Written by `make soak` (`{command.strip()}`) on {machine()}: 64 connections, "
            f"{WORKSPACES} workspaces, one server process with the default rate limit "
            f"({Settings.model_fields['rate_limit'].default} per key). Mix per 10 requests: "
            + ", ".join(f"{share} {kind}" for kind, share in MIX)
            + ".",
            "",
            *sections,
        ]
    )
    replace_section(args.report, "soak", text)
    print(f"{'passed' if all_ok else 'FAILED'}; recorded in {args.report}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
