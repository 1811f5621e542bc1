"""`make bench`: leadblock's hot paths against independent references, on 127.0.0.1.

For each backend (`--backends`, default SQLite then a throwaway PostgreSQL 15 cluster) and each
of `--runs` runs, on a fresh database and one fresh `leadblock serve` process:
- single: 1-lead `POST /blocked-leads` and `GET /blocked-leads/check`, 64 connections, each
  right after the same load on the bare app (`bench/bare_app.py`: FastAPI without middleware in
  its own uvicorn process, started and stopped by the bench) and on leadblock's in-server
  reference routes (`LEADBLOCK_REFERENCE_ROUTES`: its middleware, no database); the POST
  with and without an Idempotency-Key in turns, half at a time (`in_turns`);
- bulk: 10,000-lead `POST /blocked-leads` until the workspace holds `--bulk-total`
  (leads/s per 100,000, server peak RSS), then the raw bulk reference to as many rows;
- check: `POST /blocked-leads/check` with 10,000 identifiers, half blocked (median of 20); then,
  with 10,000 company blocks (both kinds) added, the same 10,000 as objects with a company
  domain and an e-mail (leads of 2,500 companies, four each);
- list: first page and a page reached by cursor at the end of the list (median of 20 each);
- dispatch: claim 100 of a `--dispatch-size` campaign with as many workspace blocks, 10% of
  them leads of the campaign (median of 30); every lead has a company (LinkedIn page, domain,
  e-mail); then the same with 10,000 company blocks (both kinds) added, 1% of them companies of
  the campaign's leads;
- webhooks: the median of 5 10,000-lead blocks without an endpoint, then of 5 more while an
  endpoint (to a receiver in the bench's process, verifying each signature with
  `standardwebhooks`) is being delivered to; then a backlog of `--webhook-backlog` events
  delivered to one endpoint (events/s), against the same bodies POSTed one by one by a bare
  httpx loop to the same receiver;
- import / export: a CSV of `--transfer-rows` rows into an empty workspace, then exported
  (rows/s; RSS growth of the server during the export), then the raw import reference.
The raw references share nothing with leadblock (bench/references.py): on SQLite the `sqlite3`
module on fresh files in the run's folder, on PostgreSQL psycopg COPY on its own connection to
its own database of the run's cluster. Every figure is the median over runs; ratio rows divide
leadblock's figure by the reference's of the same run. It prints a table, writes
docs/benchmarks.md and plots bulk throughput, leadblock's and the raw reference's, to
docs/bulk.png. Latencies are measured by the client and include HTTP and JSON on both sides.
Everything is bounded in count and time and stops by itself.

The scale run: `python -m bench --bulk-total 5000000` (bulk phase and its raw reference to
5,000,000).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
from tests.postgres import postgres_cluster
from tests.receiver import Receiver, running_receiver
from tests.server import Server, running_server

from bench import references
from bench.load import http_request, run_load
from bench.references import Segments, overall_rate
from bench.report import write_report
from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate

BATCH = 10_000
# Blocked identifiers in the 10,000-identifier check (the other half are not blocked).
CHECK_KNOWN = 5_000
WORKSPACES = ("bulk", "dispatch", "single", "transfer", "webhooks")
WEBHOOK_BLOCKS = 5  # 10,000-lead blocks measured without, then with, an endpoint
ECHO_BODY = (
    b'{"leads":[{"publicIdentifier":"echo-1","reason":"bench"},'
    b'{"publicIdentifier":"echo-2","reason":"bench"}]}'
)


@dataclass
class Run:
    """The figures of one run on one backend; None: not measured (its phase failed)."""

    bare_hello_get: float | None = None
    bare_echo_post: float | None = None
    # leadblock's in-server reference routes: its app and middleware, no database.
    hello_get: float | None = None
    echo_post: float | None = None
    single_post: float | None = None
    single_post_keyed: float | None = None  # the same, each with a fresh Idempotency-Key
    single_check: float | None = None
    single_post_p99: float | None = None
    single_check_p99: float | None = None
    bulk_segments: Segments = field(default_factory=list)
    raw_bulk_segments: Segments = field(default_factory=list)
    # The bare app on the raw engine (bench/bare_app.py with a database): the same paths.
    bare_bulk_segments: Segments = field(default_factory=list)
    engine_check_get: float | None = None
    engine_block_post: float | None = None
    engine_check_ms: float | None = None
    bulk_rss_mb: float | None = None
    check_ms: float | None = None
    first_page_ms: float | None = None
    deep_page_ms: float | None = None
    dispatch_ms: float | None = None
    dispatch_company_ms: float | None = None  # the same, with 10,000 company blocks as well
    check_objects_ms: float | None = None  # check of 10,000 objects, with 10,000 company blocks
    lease_confirm_ms: float | None = None
    import_rows_s: float | None = None
    raw_import_rows_s: float | None = None
    bare_import_rows_s: float | None = None  # the bare app on the raw engine, same upload
    webhook_events_s: float | None = None  # a backlog delivered to one endpoint
    raw_webhook_posts_s: float | None = None  # the same bodies POSTed by a bare httpx loop
    block_ms: float | None = None  # a 10,000-lead block, no webhook
    block_webhook_ms: float | None = None  # the same while an endpoint is being delivered to
    export_rows_s: float | None = None
    export_rss_growth_mb: float | None = None
    failures: list[str] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Peak RSS of a process, sampled every 20 ms in a thread while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> RssSampler:
        self.peak = rss_mb(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def client(api: str, api_key: str) -> httpx.Client:
    headers = {"x-api-key": api_key, "content-type": "application/json"}
    return httpx.Client(base_url=api, headers=headers, timeout=300)


def post(http: httpx.Client, path: str, body: object) -> httpx.Response:
    response = http.post(path, content=orjson.dumps(body))
    assert response.status_code == 200, response.text
    return response


def block_batch(identifiers: list[str]) -> dict[str, object]:
    return {"leads": [{"publicIdentifier": ident, "reason": "bench"} for ident in identifiers]}


def median_latency(runs: int, request: Callable[[], httpx.Response]) -> float:
    """Median latency in ms of `request` until its whole answer has arrived."""
    latencies = []
    for _ in range(runs):
        started = time.perf_counter()
        response = request()
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(latencies)


def load(port: int, make: Callable[[int], bytes], requests: int) -> tuple[float, float]:
    """Requests/s and p99 ms at 64 connections; every answer must be a 200."""
    result = run_load("127.0.0.1", port, make, connections=64, total=requests, max_seconds=60)
    assert set(result.statuses) == {200}, result.statuses
    return result.per_second, result.percentile(0.99)


def in_turns(
    port: int, plain: Callable[[int], bytes], keyed: Callable[[int], bytes], requests: int
) -> tuple[float, float, float]:
    """`requests` of each kind in turns, half at a time, plain-keyed-keyed-plain: req/s of
    the plain ones, their p99, req/s of the keyed ones. Their ratio is a goal, and a load run
    right after another paid for its background work (checkpoints, autovacuum) and for the
    machine's drift; in turns, each kind pays the same."""
    half = requests // 2
    plain_a, p99_a = load(port, plain, half)
    keyed_a, _ = load(port, keyed, half)
    keyed_b, _ = load(port, lambda number: keyed(number + half), half)
    plain_b, p99_b = load(port, lambda number: plain(number + half), half)
    return (
        statistics.harmonic_mean([plain_a, plain_b]),
        max(p99_a, p99_b),
        statistics.harmonic_mean([keyed_a, keyed_b]),
    )


def single_paths(server: Server, api_key: str, run: Run, requests: int, log: Path) -> None:
    """The two single-lead paths, each right after the same load on the bare app and on the
    in-server reference route."""
    prefix = secrets.token_hex(4).encode()
    leadblock = int(server.url.rsplit(":", 1)[1])

    def get(path: str) -> Callable[[int], bytes]:
        return lambda _: http_request("GET", path, api_key)

    def echo(path: str) -> Callable[[int], bytes]:
        return lambda _: http_request("POST", path, api_key, ECHO_BODY)

    def block(number: int) -> bytes:
        body = b'{"leads":[{"publicIdentifier":"s-%s-%d","reason":"bench"}]}' % (prefix, number)
        return http_request("POST", "/api/v1/blocked-leads", api_key, body)

    def keyed_block(number: int) -> bytes:
        """The same request with a fresh Idempotency-Key: its answer is stored too."""
        body = b'{"leads":[{"publicIdentifier":"k-%s-%d","reason":"bench"}]}' % (prefix, number)
        key = f"Idempotency-Key: {prefix.decode()}-{number}\r\n"
        return http_request("POST", "/api/v1/blocked-leads", api_key, body, key)

    def check(number: int) -> bytes:
        path = (
            f"/api/v1/blocked-leads/check?publicIdentifier=s-{prefix.decode()}-{number % requests}"
        )
        return http_request("GET", path, api_key)

    with references.bare_app(log) as bare:
        run.bare_echo_post, _ = load(bare, echo("/echo"), requests)
        run.echo_post, _ = load(leadblock, echo("/reference/echo"), requests)
        run.single_post, run.single_post_p99, run.single_post_keyed = in_turns(
            leadblock, block, keyed_block, requests
        )
        run.bare_hello_get, _ = load(bare, get("/hello"), 2 * requests)
        run.hello_get, _ = load(leadblock, get("/reference/hello"), 2 * requests)
        run.single_check, run.single_check_p99 = load(leadblock, check, 2 * requests)
    print(
        f"  single: POST {run.single_post:,.0f} req/s vs bare echo {run.bare_echo_post:,.0f} "
        f"(in-server {run.echo_post:,.0f}; with an Idempotency-Key {run.single_post_keyed:,.0f}); "
        f"check GET {run.single_check:,.0f} vs bare hello "
        f"{run.bare_hello_get:,.0f} (in-server {run.hello_get:,.0f})",
        flush=True,
    )


def bulk_segments(
    http: httpx.Client, path: str, total: int, label: str
) -> tuple[Segments, list[str]]:
    """POSTs 10,000 new random leads at a time to `path` until `total`; leads/s of each
    100,000, and a sample of what was sent."""
    segments: Segments = []
    sample: list[str] = []
    # At least the 5,000 the check needs, however few the batches.
    sampled = min(BATCH, max(500, -(-CHECK_KNOWN * BATCH // total)))
    segment_started, segment_leads = time.perf_counter(), 0
    for done in range(BATCH, total + 1, BATCH):
        identifiers = [f"lead-{secrets.token_hex(6)}" for _ in range(BATCH)]
        sample += identifiers[:sampled]
        response = http.post(path, content=orjson.dumps(block_batch(identifiers)))
        assert response.status_code == 200, response.text
        segment_leads += BATCH
        if done % 100_000 == 0 or done == total:
            rate = segment_leads / (time.perf_counter() - segment_started)
            segments.append((done, rate))
            print(f"  {label}: {done:>9,} blocks {rate:>9,.0f} leads/s", flush=True)
            segment_started, segment_leads = time.perf_counter(), 0
    return segments, sample


def bulk(http: httpx.Client, pid: int, total: int, run: Run) -> list[str]:
    """Blocks `total` new leads; returns a sample of what was blocked."""
    with RssSampler(pid) as rss:
        run.bulk_segments, sample = bulk_segments(http, "/blocked-leads", total, "bulk")
    run.bulk_rss_mb = rss.peak
    return sample


@contextmanager
def bare_client(
    log: Path, database: str, content_type: str = "application/json", timeout: float = 300
) -> Iterator[tuple[int, httpx.Client]]:
    """The bare app on `database` (`references.bare_app`): its port, and a client sending its
    key."""
    with (
        references.bare_app(log, database) as port,
        httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"x-api-key": references.BARE_KEY, "content-type": content_type},
            timeout=timeout,
        ) as http,
    ):
        yield port, http


def bare_bulk(databases: Databases, total: int, run: Run) -> None:
    """The same bulk phase against the bare app on a fresh database of the raw engine."""
    database = references.bare_database(databases.bare_bulk_url or databases.folder / "bare.db")
    with bare_client(databases.folder / "bare-bulk.log", database) as (_port, http):
        run.bare_bulk_segments, _ = bulk_segments(http, "/block", total, "bare app bulk")


def raw_bulk(databases: Databases, total: int, run: Run) -> None:
    """The raw bulk reference: as many rows as the bulk phase, 10,000 per transaction."""
    if databases.raw_reference_url is None:
        run.raw_bulk_segments = references.sqlite_bulk(databases.folder / "raw-bulk.db", total)
    else:
        run.raw_bulk_segments = references.copy_bulk(databases.raw_reference_url, total)
    segments = run.raw_bulk_segments
    print(
        f"  raw bulk reference: {overall_rate(segments):,.0f} rows/s "
        f"(first 100k {segments[0][1]:,.0f}, last {segments[-1][1]:,.0f})",
        flush=True,
    )


def bare_engine(databases: Databases, requests: int, run: Run) -> None:
    """The single-lead paths and the 10,000-id check in the bare app on the raw bulk reference's
    database (as large as the bulk phase's workspace), the same loads as leadblock's."""
    raw = databases.raw_reference_url or databases.folder / "raw-bulk.db"
    database, known = references.engine_database(raw)
    key = references.BARE_KEY
    prefix = secrets.token_hex(4).encode()

    def block(number: int) -> bytes:
        body = b'{"leads":[{"publicIdentifier":"s-%s-%d","reason":"bench"}]}' % (prefix, number)
        return http_request("POST", "/block", key, body)

    def check(number: int) -> bytes:
        return http_request("GET", f"/check?publicIdentifier={known[number % len(known)]}", key)

    body = {"publicIdentifiers": known + [f"free-{secrets.token_hex(6)}" for _ in range(5000)]}
    content = orjson.dumps(body)
    with bare_client(databases.folder / "bare-engine.log", database) as (port, http):
        run.engine_block_post, _ = load(port, block, requests)
        run.engine_check_get, _ = load(port, check, 2 * requests)
        answer = http.post("/check", content=content).json()
        assert sum(1 for result in answer["results"] if result["blocked"]) == len(known)
        run.engine_check_ms = median_latency(20, lambda: http.post("/check", content=content))
    print(
        f"  bare app on the raw engine: POST {run.engine_block_post:,.0f} req/s, check GET "
        f"{run.engine_check_get:,.0f} req/s, check 10k {run.engine_check_ms:.1f} ms",
        flush=True,
    )


def check_and_list(http: httpx.Client, blocked_sample: list[str], run: Run) -> None:
    known = random.sample(blocked_sample, CHECK_KNOWN)
    free = [f"free-{secrets.token_hex(6)}" for _ in range(CHECK_KNOWN)]
    body = {"publicIdentifiers": known + free}
    content = orjson.dumps(body)
    answer = http.post("/blocked-leads/check", content=content).json()
    assert sum(1 for result in answer["results"] if result["blocked"]) == CHECK_KNOWN
    run.check_ms = median_latency(20, lambda: http.post("/blocked-leads/check", content=content))
    # The leads checked work at 2,500 companies, four each, as a prospect list of accounts
    # does; 1% of the company blocks are their companies.
    matching = list(range(0, 2_500, 25))
    post(http, "/company-blocks", {"companies": company_blocks(10_000, matching)})
    objects = {
        "publicIdentifiers": [
            {
                "publicIdentifier": ident,
                "companyDomain": f"d{number % 2_500}.example",
                "email": f"lead{number}@d{number % 2_500}.example",
            }
            for number, ident in enumerate(body["publicIdentifiers"])
        ]
    }
    content = orjson.dumps(objects)
    run.check_objects_ms = median_latency(
        20, lambda: http.post("/blocked-leads/check", content=content)
    )

    total = int(http.get("/blocked-leads", params={"limit": 1}).headers["x-total-count"])
    # Untimed: reach the end of the list once by offset to get a cursor that points there.
    deep = http.get("/blocked-leads", params={"limit": 100, "offset": total - 200})
    cursor = deep.headers["x-next-cursor"]
    run.first_page_ms = median_latency(20, lambda: http.get("/blocked-leads"))
    run.deep_page_ms = median_latency(
        20, lambda: http.get("/blocked-leads", params={"cursor": cursor})
    )
    print(
        f"  check 10k {run.check_ms:.1f} ms, as objects with companies "
        f"{run.check_objects_ms:.1f} ms; list first {run.first_page_ms:.1f} ms, "
        f"deep {run.deep_page_ms:.1f} ms",
        flush=True,
    )


def company_blocks(count: int, matching: list[int]) -> list[dict[str, str]]:
    """`count` company blocks, half LinkedIn companies and half domains: the companies
    numbered `matching` (those of campaign leads, `lead_company`), then companies of no lead."""
    numbers = matching + [1_000_000 + n for n in range(count - len(matching))]
    return [
        {"linkedinCompany": f"co-{number}"} if index % 2 else {"domain": f"d{number}.example"}
        for index, number in enumerate(numbers)
    ]


def lead_company(number: int) -> dict[str, str]:
    """The company of campaign lead `number`: 20,000 companies, each with its page, its domain
    and its people's e-mail addresses on a subdomain."""
    company = number % 20_000
    return {
        "companyLinkedIn": f"co-{company}",
        "companyDomain": f"d{company}.example",
        "email": f"lead{number}@mail.d{company}.example",
    }


def dispatch(http: httpx.Client, size: int, run: Run) -> None:
    leads = [f"prospect-{i:06d}" for i in range(size)]
    blocked = random.sample(leads, size // 10)
    blocked += [f"other-{secrets.token_hex(6)}" for _ in range(size - len(blocked))]
    for start in range(0, size, BATCH):
        post(http, "/blocked-leads", block_batch(blocked[start : start + BATCH]))
    campaign = post(http, "/campaigns", {"name": "bench"}).json()["id"]
    for start in range(0, size, BATCH):
        batch = [
            {"publicIdentifier": ident, **lead_company(start + offset)}
            for offset, ident in enumerate(leads[start : start + BATCH])
        ]
        post(http, f"/campaigns/{campaign}/leads", {"leads": batch})

    def claim() -> httpx.Response:
        response = http.post(f"/campaigns/{campaign}/dispatch", content=b'{"limit":100}')
        assert len(response.json()["leads"]) == 100
        return response

    # Each phase hands out leads for good (a dispatch, a confirm): as many samples as the
    # campaign has eligible leads for (a tenth are blocked): 30 from 12,000 leads on.
    samples = max(3, min(30, size // 400))
    run.dispatch_ms = median_latency(samples, claim)
    # 1% of the company blocks are companies of the campaign's leads (spread over it), the rest
    # companies of no lead: a dispatch walks past a few more blocked leads, and probes every
    # lead's company keys.
    matching = list(range(0, 20_000, 200))
    post(http, "/company-blocks", {"companies": company_blocks(10_000, matching)})
    run.dispatch_company_ms = median_latency(samples, claim)

    def lease_and_confirm() -> httpx.Response:
        leased = http.post(
            f"/campaigns/{campaign}/dispatch", content=b'{"limit":100,"leaseSeconds":600}'
        ).json()
        assert len(leased["leads"]) == 100
        confirmed = http.post(
            f"/campaigns/{campaign}/claims/{leased['claimId']}/confirm", content=b"{}"
        )
        assert len(confirmed.json()["confirmed"]) == 100
        return confirmed

    run.lease_confirm_ms = median_latency(samples, lease_and_confirm)
    print(
        f"  dispatch 100 of {size:,}: {run.dispatch_ms:.1f} ms, with company blocks "
        f"{run.dispatch_company_ms:.1f} ms; "
        f"lease + confirm: {run.lease_confirm_ms:.1f} ms",
        flush=True,
    )


def webhooks(http: httpx.Client, receiver: Receiver, backlog: int, folder: Path, run: Run) -> None:
    """The cost of an endpoint being delivered to on 10,000-lead blocks (median latency with,
    over without); then the throughput of one endpoint draining a backlog of `backlog`
    events, and the same bodies POSTed by a bare httpx loop to the same receiver."""
    names = (f"hook-{n}" for n in itertools.count())

    def block() -> httpx.Response:
        return post(http, "/blocked-leads", block_batch([next(names) for _ in range(BATCH)]))

    run.block_ms = median_latency(WEBHOOK_BLOCKS, block)
    busy = post(http, "/webhooks", {"url": receiver.url(receiver.new_path())}).json()
    run.block_webhook_ms = median_latency(WEBHOOK_BLOCKS, block)  # each while delivering
    http.delete(f"/webhooks/{busy['id']}").raise_for_status()

    # A new endpoint starts at the present; disabled, it lets a backlog build up.
    path = receiver.new_path()
    hook = post(http, "/webhooks", {"url": receiver.url(path)}).json()
    http.patch(f"/webhooks/{hook['id']}", json={"enabled": False}).raise_for_status()
    for start in range(0, backlog, BATCH):
        leads = [next(names) for _ in range(min(BATCH, backlog - start))]
        post(http, "/blocked-leads", block_batch(leads))
    started = time.perf_counter()
    http.patch(f"/webhooks/{hook['id']}", json={"enabled": True}).raise_for_status()
    receiver.wait_for(path, backlog, timeout=600)
    run.webhook_events_s = backlog / (time.perf_counter() - started)
    bodies = [item.body for item in receiver.got(path)[-backlog:]]
    run.raw_webhook_posts_s = references.raw_webhook_posts(
        receiver.url(receiver.new_path()), bodies, folder
    )
    http.delete(f"/webhooks/{hook['id']}").raise_for_status()
    print(
        f"  webhooks: backlog {run.webhook_events_s:,.0f} events/s (bare loop "
        f"{run.raw_webhook_posts_s:,.0f}); 10k block {run.block_webhook_ms:.1f} ms while "
        f"delivering, {run.block_ms:.1f} ms without",
        flush=True,
    )


def import_upload(rows: int) -> bytes:
    """A CSV upload of `rows` new identifiers, as a CRM export would give them."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["publicIdentifier", "reason"])
    writer.writerows([f"import-{secrets.token_hex(6)}", "crm export"] for _ in range(rows))
    return text.getvalue().encode()


def transfer(http: httpx.Client, pid: int, rows: int, run: Run) -> None:
    content = import_upload(rows)

    started = time.perf_counter()
    response = http.post(
        "/blocked-leads/import", content=content, headers={"content-type": "text/csv"}
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["blocked"] == rows, response.text
    run.import_rows_s = rows / seconds

    baseline = rss_mb(pid)
    exported = 0
    started = time.perf_counter()
    with RssSampler(pid) as rss, http.stream("GET", "/blocked-leads/export") as stream:
        for chunk in stream.iter_bytes():  # counting newlines: httpx's line splitting is slower
            exported += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    assert exported == rows + 1, exported
    run.export_rows_s = rows / seconds
    run.export_rss_growth_mb = rss.peak - baseline
    print(
        f"  import {run.import_rows_s:,.0f} rows/s; export {run.export_rows_s:,.0f} rows/s "
        f"(RSS +{run.export_rss_growth_mb:.1f} MB)",
        flush=True,
    )


def bare_import(databases: Databases, rows: int, run: Run) -> None:
    """The same upload imported by the bare app into a fresh database of the raw engine."""
    database = references.bare_database(
        databases.bare_import_url or databases.folder / "bare-import.db"
    )
    content = import_upload(rows)
    with bare_client(databases.folder / "bare-import.log", database, "text/csv", timeout=600) as (
        _port,
        http,
    ):
        started = time.perf_counter()
        response = http.post("/import", content=content)
        seconds = time.perf_counter() - started
    assert response.json() == {"blocked": rows}, response.text
    run.bare_import_rows_s = rows / seconds
    print(f"  bare app import: {run.bare_import_rows_s:,.0f} rows/s", flush=True)


def raw_import(databases: Databases, rows: int, run: Run) -> None:
    """The raw import reference: as many rows as the import, in one transaction."""
    if databases.raw_reference_url is None:
        rate = references.sqlite_import(databases.folder / "raw-import.db", rows)
    else:
        rate = references.copy_import(databases.raw_reference_url, rows)
    run.raw_import_rows_s = rate
    print(f"  raw import reference: {rate:,.0f} rows/s", flush=True)


@dataclass(frozen=True)
class Databases:
    folder: Path
    leadblock_url: str
    # PostgreSQL only: SQLite's raw references make their own files in `folder`.
    raw_reference_url: str | None
    bare_bulk_url: str | None = None
    bare_import_url: str | None = None


@contextmanager
def backend_databases(backend: str, folder: Path) -> Iterator[Databases]:
    if backend == "sqlite":
        yield Databases(folder, f"sqlite:///{folder}/bench.db", None)
        return
    with postgres_cluster() as cluster:
        leadblock_url = cluster.create_database("leadblock_bench")
        yield Databases(
            folder,
            leadblock_url,
            cluster.create_database("raw_reference"),
            cluster.create_database("bare_bulk"),
            cluster.create_database("bare_import"),
        )


@contextmanager
def database_url(backend: str, folder: str) -> Iterator[str]:
    """leadblock's database alone (`bench.soak`)."""
    with backend_databases(backend, Path(folder)) as databases:
        yield databases.leadblock_url


def create_workspaces(url: str) -> dict[str, str]:
    """A fresh workspace per phase; its API key by name."""
    database = Database(Settings(database_url=url))
    migrate(database)
    with database.transaction(write=True) as tx:
        keys = {name: workspaces.create_workspace(tx, name)[2] for name in WORKSPACES}
    database.dispose()
    return keys


def in_workspace(
    server: Server, api_key: str, measure: Callable[[httpx.Client], object]
) -> Callable[[], object]:
    def phase() -> object:
        with client(server.api, api_key) as http:
            return measure(http)

    return phase


Phase = tuple[str, Callable[[], object]]


def phases(
    server: Server,
    receiver: Receiver,
    keys: dict[str, str],
    databases: Databases,
    args: argparse.Namespace,
    run: Run,
) -> list[Phase]:
    pid = server.process.pid

    def single() -> None:
        bare_log = databases.folder / "bare-app.log"
        single_paths(server, keys["single"], run, args.single_requests, bare_log)

    def bulk_check_and_list(http: httpx.Client) -> None:
        check_and_list(http, bulk(http, pid, args.bulk_total, run), run)

    def dispatch_100(http: httpx.Client) -> None:
        dispatch(http, args.dispatch_size, run)

    def import_export(http: httpx.Client) -> None:
        transfer(http, pid, args.transfer_rows, run)

    def deliver(http: httpx.Client) -> None:
        webhooks(http, receiver, args.webhook_backlog, databases.folder, run)

    return [
        ("single", single),
        ("bulk, check and list", in_workspace(server, keys["bulk"], bulk_check_and_list)),
        ("raw bulk reference", lambda: raw_bulk(databases, args.bulk_total, run)),
        ("bare app bulk", lambda: bare_bulk(databases, args.bulk_total, run)),
        ("bare app on the raw engine", lambda: bare_engine(databases, args.single_requests, run)),
        ("dispatch", in_workspace(server, keys["dispatch"], dispatch_100)),
        ("webhooks", in_workspace(server, keys["webhooks"], deliver)),
        ("import/export", in_workspace(server, keys["transfer"], import_export)),
        ("raw import reference", lambda: raw_import(databases, args.transfer_rows, run)),
        ("bare app import", lambda: bare_import(databases, args.transfer_rows, run)),
    ]


def run_phases(phases: list[Phase], server: Server, run: Run) -> None:
    for phase, measure in phases:
        # A failing phase is reported in the table (with the server's log on stderr); the other
        # phases still run.
        try:
            measure()
        except Exception as error:
            run.failures.append(f"{phase}: {str(error)[:200]}")
            print(f"  FAILED {phase}: {error}", flush=True)
            print(server.log.read_text()[-3000:], file=sys.stderr)


def one_run(backend: str, args: argparse.Namespace) -> Run:
    run = Run()
    with (
        tempfile.TemporaryDirectory() as folder,
        backend_databases(backend, Path(folder)) as databases,
    ):
        keys = create_workspaces(databases.leadblock_url)
        with (
            running_receiver() as receiver,
            running_server(
                databases.leadblock_url,
                databases.folder / "server.log",
                LEADBLOCK_LOG_LEVEL="warning",
                LEADBLOCK_REFERENCE_ROUTES="true",
                LEADBLOCK_WEBHOOK_ALLOW_HTTP="true",
                LEADBLOCK_WEBHOOK_ALLOWED_HOSTS=receiver.host_port,
            ) as server,
        ):
            run_phases(phases(server, receiver, keys, databases, args, run), server, run)
    return run


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) // 1024**2
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} × {model}, {memory} GiB RAM, Linux {platform.release()}, "
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bulk-total", type=int, default=1_000_000)
    parser.add_argument("--dispatch-size", type=int, default=100_000)
    parser.add_argument("--transfer-rows", type=int, default=1_000_000)
    parser.add_argument("--single-requests", type=int, default=10_000)
    parser.add_argument("--webhook-backlog", type=int, default=20_000)
    parser.add_argument(
        "--report", type=Path, default=Path("docs"), help="folder for benchmarks.md and bulk.png"
    )
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    results: dict[str, list[Run]] = {}
    for backend in args.backends.split(","):
        results[backend] = []
        for number in range(args.runs):
            print(f"== {backend}, run {number + 1} of {args.runs}", flush=True)
            results[backend].append(one_run(backend, args))
    command = "python -m bench " + " ".join(sys.argv[1:])
    write_report(results, args, machine(), command.strip(), None if args.no_report else args.report)


if __name__ == "__main__":
    main()
