"""Settings from `LEADBLOCK_*` environment variables, validated once at start and passed down."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadblock.domain.webhooks import RETRY_DELAYS_S, RETRY_WINDOW_S

MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADBLOCK_", frozen=True)

    database_url: str = Field(
        default="sqlite:///./leadblock.db",
        description="sqlite:///PATH (default ./leadblock.db) or postgresql://…",
    )
    max_body_bytes: int = Field(default=16 * MIB, gt=0, description="largest JSON body")
    max_import_bytes: int = Field(default=256 * MIB, gt=0, description="largest CSV import")
    db_busy_timeout_ms: int = Field(
        default=5000,
        ge=0,
        description="how long a request waits for the database lock before answering 503",
    )
    db_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections kept open per server process",
    )
    db_max_overflow: int = Field(
        default=20,
        ge=0,
        description="extra PostgreSQL connections a process may open under a burst",
    )
    db_pool_timeout_s: float = Field(
        default=5,
        gt=0,
        description="how long a request waits for a free pooled connection before a 503",
    )
    db_connect_timeout_s: int = Field(
        default=3,
        ge=1,
        description="how long opening a PostgreSQL connection may take before a 503",
    )
    db_statement_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description="PostgreSQL statement_timeout (0: none)",
    )
    body_timeout_s: float = Field(
        default=30,
        gt=0,
        description="how long a client may take to send its whole request body before a 408",
    )
    header_timeout_s: float = Field(
        default=10,
        gt=0,
        description="how long a client may take to send a request's headers before it is cut off",
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        description="open connections per server process; beyond them new requests get a 503",
    )
    log_level: str = Field(default="info", description="uvicorn log level")
    rate_limit: str = Field(
        default="100/second",
        description="requests per API key, e.g. 100/second or 5000/minute (limits syntax)",
    )
    auth_failure_rate_limit: str = Field(
        default="20/minute",
        description=(
            "requests with a missing, malformed, unknown, revoked or wrong key, per client "
            "address; over it, 429 without a look at the database"
        ),
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://HOST:PORT/DB to share rate-limit counters between processes",
    )
    forwarded_allow_ips: str | None = Field(
        default=None,
        description=(
            "comma-separated addresses of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are trusted (client address, https); unset: none"
        ),
    )
    console_session_hours: float = Field(
        default=8,
        gt=0,
        le=24 * 30,
        description="how long a web console sign-in lasts before the key is asked again",
    )
    idempotency_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 30,
        description="how long the answer of a write sent with an Idempotency-Key answers its "
        "retries; older answers are deleted",
    )
    metrics: bool = Field(
        default=False,
        description="serve Prometheus metrics at /metrics (no key: expose it only to the "
        "monitoring network)",
    )
    reference_routes: bool = Field(
        default=False,
        description="serve /reference/hello and /reference/echo, the yardsticks of `make bench`",
    )
    clock_offset_s: int = Field(
        default=0,
        ge=-(10**9),
        le=10**9,
        description="shift this process's clock by as many seconds (tests and drills only: a "
        "server started an hour ahead sees every lease an hour older)",
    )

    webhook_allow_http: bool = Field(
        default=False,
        description="let webhooks be delivered over plain http (https only otherwise)",
    )
    webhook_allowed_hosts: str = Field(
        default="",
        description="comma-separated host:port pairs webhooks may be delivered to even where "
        "they resolve to a loopback, private or other internal address (e.g. a receiver on "
        "this machine: 127.0.0.1:9000)",
    )
    webhook_limit: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="webhook endpoints a workspace may have",
    )
    webhook_timeout_s: float = Field(
        default=10,
        gt=0,
        le=60,
        description="how long a webhook receiver has to answer a delivery with a 2xx",
    )
    webhook_retry_delays_s: str = Field(
        default=",".join(str(delay) for delay in RETRY_DELAYS_S),
        pattern=r"^\s*[0-9]+(\.[0-9]+)?(\s*,\s*[0-9]+(\.[0-9]+)?)*\s*$",
        description="seconds before the 1st, 2nd, … retry of a failed delivery; the last repeats",
    )
    webhook_retry_window_h: float = Field(
        default=RETRY_WINDOW_S / 3600,
        gt=0,
        le=24 * 30,
        description="hours an endpoint may keep failing before it is disabled",
    )
    webhook_log_days: float = Field(
        default=30,
        gt=0,
        le=3650,
        description="days the log of webhook delivery attempts is kept",
    )

    @property
    def webhook_allowed_host_ports(self) -> frozenset[str]:
        return frozenset(
            entry.strip().lower()
            for entry in self.webhook_allowed_hosts.split(",")
            if entry.strip()
        )

    @property
    def webhook_retry_delays_ms(self) -> tuple[int, ...]:
        return tuple(round(float(delay) * 1000) for delay in self.webhook_retry_delays_s.split(","))

    @field_validator("rate_limit", "auth_failure_rate_limit")
    @classmethod
    def _parsable_limit(cls, limit: str) -> str:
        from limits import parse

        parse(limit)  # ValueError names the problem
        return limit

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite:///", "postgresql://", "postgresql+")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url
