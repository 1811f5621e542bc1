"""`python -m bench.metrics_cost`: what counting for /metrics costs the hottest paths.

Two `leadblock serve` processes on one database, one with LEADBLOCK_METRICS=true, take turns
(in alternating order, `--rounds` times) at the same closed-loop load on 127.0.0.1: 1-lead
`POST /blocked-leads` and the single-id `GET /blocked-leads/check`, 64 connections. The medians
per server and their ratio go to the `metrics` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from tests.server import running_server

from bench.__main__ import database_url, machine
from bench.load import http_request, run_load
from bench.report import replace_section
from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate

MODES = {"off": {}, "on": {"LEADBLOCK_METRICS": "true"}}
REQUESTS = 6000


def measure(backend: str, rounds: int, folder: Path) -> dict[str, dict[str, float]]:
    with database_url(backend, str(folder)) as url, ExitStack() as stack:
        database = Database(Settings(database_url=url))
        migrate(database)
        with database.transaction(write=True) as tx:
            key = workspaces.create_workspace(tx, "metrics")[2]
        database.dispose()
        ports = {}
        for mode, env in MODES.items():
            log = folder / f"{backend}-{mode}.log"
            server = stack.enter_context(
                running_server(url, log, LEADBLOCK_LOG_LEVEL="warning", **env)
            )
            ports[mode] = int(server.url.rsplit(":", 1)[1])
        rates: dict[str, dict[str, list[float]]] = {mode: {"post": [], "get": []} for mode in MODES}
        for round_number in range(rounds):
            order = list(MODES) if round_number % 2 == 0 else list(reversed(MODES))
            for mode in order:
                prefix = secrets.token_hex(4)
                for path, make in paths(key, prefix).items():
                    result = run_load(
                        "127.0.0.1", ports[mode], make, connections=64, total=REQUESTS,
                        max_seconds=60,
                    )  # fmt: skip
                    assert set(result.statuses) == {200}, result.statuses
                    rates[mode][path].append(result.per_second)
    return {
        mode: {path: statistics.median(values) for path, values in by_path.items()}
        for mode, by_path in rates.items()
    }


def paths(key: str, prefix: str) -> dict[str, Callable[[int], bytes]]:
    def post(number: int) -> bytes:
        body = b'{"leads":[{"publicIdentifier":"m-%s-%d"}]}' % (prefix.encode(), number)
        return http_request("POST", "/api/v1/blocked-leads", key, body)

    def get(number: int) -> bytes:
        path = f"/api/v1/blocked-leads/check?publicIdentifier=m-{prefix}-{number}"
        return http_request("GET", path, key)

    return {"post": post, "get": get}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    lines = [
        f"Written by `python -m bench.metrics_cost` on {machine()}: two server processes on one "
        f"database, one with `LEADBLOCK_METRICS=true`, taking turns {arguments.rounds} times at "
        f"{REQUESTS:,} requests over 64 connections each; medians.",
        "",
        "| backend | path | metrics off (req/s) | metrics on (req/s) | on / off |",
        "|---|---|---|---|---|",
    ]
    for backend in arguments.backends.split(","):
        with tempfile.TemporaryDirectory() as folder:
            result = measure(backend, arguments.rounds, Path(folder))
        for path, name in (("post", "1-lead POST"), ("get", "single-id check GET")):
            off, on = result["off"][path], result["on"][path]
            lines.append(f"| {backend} | {name} | {off:,.0f} | {on:,.0f} | {on / off:.2f}× |")
            print(lines[-1], flush=True)
    text = "## Metrics cost\n\n" + "\n".join(lines)
    replace_section(Path(__file__).parent.parent / "docs" / "benchmarks.md", "metrics", text)


if __name__ == "__main__":
    main()
