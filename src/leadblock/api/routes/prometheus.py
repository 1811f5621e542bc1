"""`/metrics`: Prometheus's text format, served when LEADBLOCK_METRICS=true. No key and no rate
limit, like the health probes: expose it to the monitoring network only.

What the processes count (requests, database waits, 429s, webhook attempts: `leadblock.metrics`)
comes summed over every process of `serve --workers N`; what the database knows (webhook
endpoints by state, their backlog) is read at each scrape, the same whichever process answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from fastapi import APIRouter, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.responses import Response

from leadblock.domain.ids import now_ms
from leadblock.services.webhooks import Queue, queue
from leadblock.storage.group_commit import read_small

router = APIRouter(include_in_schema=False)
logger = logging.getLogger("leadblock")


@router.get("/metrics")
async def scrape(request: Request) -> Response:
    try:
        webhooks: Queue | None = await read_small(request.app.state.database, queue)
    except Exception as error:  # the scrape still reports what the processes counted
        logger.warning("metrics: the database did not answer: %s", error)
        webhooks = None
    database = CollectorRegistry(auto_describe=False)
    database.register(_DatabaseState(webhooks, now_ms()))
    body = generate_latest(_process_registry()) + generate_latest(database)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _process_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


class _DatabaseState(Collector):
    def __init__(self, webhooks: Queue | None, now: int) -> None:
        self.webhooks = webhooks
        self.now = now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "leadblock_database_up", "Whether the database answered this scrape (1) or not (0)"
        )
        up.add_metric([], 0 if self.webhooks is None else 1)
        yield up
        if self.webhooks is None:
            return
        endpoints = GaugeMetricFamily(
            "leadblock_webhook_endpoints",
            "Webhook endpoints of every workspace, by state (healthy, failing, disabled)",
            labels=["state"],
        )
        endpoints.add_metric(["healthy"], self.webhooks.healthy)
        endpoints.add_metric(["failing"], self.webhooks.failing)
        endpoints.add_metric(["disabled"], self.webhooks.disabled)
        yield endpoints
        yield GaugeMetricFamily(
            "leadblock_webhook_backlog_events",
            "Events the enabled webhook endpoints have yet to go through",
            value=self.webhooks.backlog,
        )
        oldest = self.webhooks.oldest_pending_at
        yield GaugeMetricFamily(
            "leadblock_webhook_oldest_pending_seconds",
            "Age of the oldest event an enabled webhook endpoint has yet to receive (0: none)",
            value=0 if oldest is None else max(0, self.now - oldest) / 1000,
        )
