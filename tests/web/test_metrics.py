"""`/metrics` scraped from real servers and read with prometheus-client's own parser: counts
summed over the processes of `serve --workers 3`, labels that never carry a client's words, 429s,
database waits, and where webhook delivery stands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.receiver import Behaviour, Receiver, eventually
from tests.server import Server, running_server
from tests.test_webhook_delivery import new_key

METRICS = {"LEADBLOCK_METRICS": "true"}


def scrape(server: Server) -> list[Sample]:
    answer = httpx.get(f"{server.url}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return [
        sample
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    ]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when none)."""
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def test_three_workers_report_the_sum_of_their_counts(
    own_database_url: str, tmp_path: Path
) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    key = new_key(own_database_url)
    with running_server(
        own_database_url,
        tmp_path / "server.log",
        "--workers",
        "3",
        PROMETHEUS_MULTIPROC_DIR=str(shared),
        **METRICS,
    ) as server:
        # A connection each: the workers take turns accepting them.
        for n in range(60):
            with httpx.Client(base_url=server.api, headers={"x-api-key": key}) as api:
                block = api.post(
                    "/blocked-leads", json={"leads": [{"publicIdentifier": f"person-{n}"}]}
                )
                assert block.status_code == 200, block.text
                assert api.get("/blocked-leads/secret-person-4711").status_code == 404
        assert httpx.request("PROPFIND", f"{server.url}/healthz").status_code == 405
        assert httpx.head(f"{server.url}/healthz").status_code == 200

        writers = {path.name.rsplit("_", 1)[1] for path in shared.glob("counter_*.db")}
        assert len(writers) >= 2, f"one process answered everything: {writers}"
        # Whichever worker answers a scrape reports every worker's requests.
        for _ in range(6):
            samples = scrape(server)
            blocks = {"route": "/api/v1/blocked-leads", "method": "POST", "status": "200"}
            assert value(samples, "leadblock_http_requests_total", **blocks) == 60
            assert value(samples, "leadblock_http_request_duration_seconds_count", **blocks) == 60
            finds = {"route": "/api/v1/blocked-leads/{lead_id}", "method": "GET", "status": "404"}
            assert value(samples, "leadblock_http_requests_total", **finds) == 60
            assert value(samples, "leadblock_http_requests_total", method="other") == 1
            head = {"route": "/healthz", "method": "HEAD", "status": "200"}
            assert value(samples, "leadblock_http_requests_total", **head) == 1
            wait = "write_queue" if own_database_url.startswith("sqlite") else "connection"
            assert value(samples, "leadblock_database_wait_seconds_count", wait=wait) >= 60
            assert value(samples, "leadblock_database_up") == 1

        # No label holds what a client sent: identifiers, keys, methods of its own.
        text = httpx.get(f"{server.url}/metrics").text
        for word in ("secret-person", "person-1", key, "PROPFIND"):
            assert word not in text


def test_rate_limits_and_webhook_delivery_are_reported(
    own_database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    settings = {
        **METRICS,
        "LEADBLOCK_WEBHOOK_ALLOW_HTTP": "true",
        "LEADBLOCK_WEBHOOK_ALLOWED_HOSTS": receiver.host_port,
        "LEADBLOCK_WEBHOOK_RETRY_DELAYS_S": "0.2",
        "LEADBLOCK_RATE_LIMIT": "4/minute",
    }
    with (
        running_server(own_database_url, tmp_path / "server.log", **settings) as server,
        httpx.Client(base_url=server.api, headers={"x-api-key": new_key(own_database_url)}) as a,
        httpx.Client(base_url=server.api, headers={"x-api-key": new_key(own_database_url)}) as b,
    ):
        # Two of six requests over a budget of four.
        statuses = [b.get("/blocked-leads").status_code for _ in range(6)]
        assert statuses == [200] * 4 + [429] * 2

        path = receiver.new_path()
        receiver.behave(path, Behaviour(status=500))
        webhook = a.post("/webhooks", json={"url": receiver.url(path)}).json()
        receiver.verify_with(path, webhook["secret"])
        assert (
            a.post("/blocked-leads", json={"leads": [{"publicIdentifier": "jane-doe"}]}).status_code
            == 200
        )

        # An attempt is counted as it is made; the endpoint's state is read from the database,
        # where the deliverer writes its progress a moment later: wait for both.
        failing = eventually(
            lambda: scrape(server),
            lambda s: (
                value(s, "leadblock_webhook_attempts_total", outcome="failed") >= 1
                and value(s, "leadblock_webhook_endpoints", state="failing") == 1
            ),
        )
        assert value(failing, "leadblock_rate_limited_requests_total", limit="key") == 2
        refused = {"route": "/api/v1/blocked-leads", "method": "GET", "status": "429"}
        assert value(failing, "leadblock_http_requests_total", **refused) == 2
        assert value(failing, "leadblock_webhook_endpoints", state="failing") == 1
        assert value(failing, "leadblock_webhook_backlog_events") == 1
        assert value(failing, "leadblock_webhook_oldest_pending_seconds") > 0

        receiver.reset(path)
        delivered = eventually(
            lambda: scrape(server),
            lambda s: value(s, "leadblock_webhook_backlog_events") == 0,
        )
        assert value(delivered, "leadblock_webhook_attempts_total", outcome="delivered") == 1
        assert value(delivered, "leadblock_webhook_endpoints", state="healthy") == 1
        assert value(delivered, "leadblock_webhook_endpoints", state="failing") == 0
        assert value(delivered, "leadblock_webhook_oldest_pending_seconds") == 0


@pytest.fixture
def plain_server(own_database_url: str, tmp_path: Path) -> Iterator[Server]:
    with running_server(own_database_url, tmp_path / "server.log") as server:
        yield server


def test_metrics_are_off_unless_asked_for(plain_server: Server) -> None:
    assert httpx.get(f"{plain_server.url}/metrics").status_code == 404
    assert "/metrics" not in httpx.get(f"{plain_server.url}/openapi.json").json()["paths"]
