"""What a server process counts for Prometheus (`GET /metrics`, when LEADBLOCK_METRICS=true).

Every layer may count here, as every layer may raise an error of `errors.py`. Labels hold only
values the server chose (a route template, an HTTP method folded onto the standard ones, a
status, a name from this module), never an identifier, a key, a workspace or any other word of a
client's: what a client sends must not grow the number of series.

With `serve --workers N`, each process writes its values to files in the directory
PROMETHEUS_MULTIPROC_DIR names (`serve` makes one), and a scrape answered by any process sums
them all (prometheus-client's multiprocess mode). Without it, a process reports only its own.

Nothing is counted until `enable()`: a server without metrics pays no more than a flag test.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase

_enabled = False

# Seconds: from a cached check (a millisecond) to an import's batch (tens of seconds).
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Seconds: a free connection is a few microseconds away; the busy timeout is 5 s by default.
_WAIT_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "leadblock_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "leadblock_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
RATE_LIMITED = Counter(
    "leadblock_rate_limited_requests",
    "Requests answered 429, by the budget they ran out of (key, address, auth-failure)",
    ["limit"],
)
DATABASE_WAIT_SECONDS = Histogram(
    "leadblock_database_wait_seconds",
    "Time spent waiting before database work could start: for a connection, for SQLite's "
    "write lock, or queued for the shared write transaction (SQLite's group commit)",
    ["wait"],
    buckets=_WAIT_BUCKETS,
)
WEBHOOK_ATTEMPTS = Counter(
    "leadblock_webhook_attempts",
    "Webhook delivery attempts, by outcome (delivered, failed)",
    ["outcome"],
)
WEBHOOKS_DISABLED = Counter(
    "leadblock_webhook_endpoints_disabled",
    "Webhook endpoints disabled after failing for the whole retry window",
)


def enable() -> None:
    global _enabled
    _enabled = True


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    if _enabled:
        labels = (route, method if method in _METHODS else "other", str(status))
        _series(REQUESTS, labels).inc()
        _series(REQUEST_SECONDS, labels).observe(seconds)


def observe_rate_limited(limit: str) -> None:
    if _enabled:
        _series(RATE_LIMITED, (limit,)).inc()


def observe_database_wait(wait: str, seconds: float) -> None:
    if _enabled:
        _series(DATABASE_WAIT_SECONDS, (wait,)).observe(seconds)


def observe_webhook_attempt(delivered: bool) -> None:
    if _enabled:
        _series(WEBHOOK_ATTEMPTS, ("delivered" if delivered else "failed",)).inc()


def observe_webhook_disabled() -> None:
    if _enabled:
        WEBHOOKS_DISABLED.inc()


# Each series found again without `labels()`'s lock and argument checks (half the cost of
# counting a request). Bounded, as the labels are.
_children: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = {}


def _series(metric: MetricWrapperBase, labels: tuple[str, ...]) -> Any:
    child = _children.get((metric, labels))
    if child is None:
        child = _children[metric, labels] = metric.labels(*labels)
    return child
