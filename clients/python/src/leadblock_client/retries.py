"""When a request is sent again, and how long the client waits first.

Sent again, with the same Idempotency-Key for a write (so it is applied at most once):
- 429 `rate_limited` and 503 `unavailable`: nothing was done; wait `Retry-After` when the
  server gives one (and give up at once when it asks for longer than `max_retry_after`),
  else back off;
- 409 `idempotency_key_in_use`: the first try of this very call is still running; back off;
- no answer (timeout, refused or dropped connection), when the call may be resent: a read, or
  a write carrying its Idempotency-Key (the server answers its retry from the first try's
  stored answer). A POST the server never replays (a webhook test) is not resent.
Anything else is final: its value, or its typed error (errors.py).

Back-off: `backoff` seconds before the first retry, doubled before each next one, at most
`max_backoff`, each wait drawn at random between half and all of that (jitter, so that clients
refused together do not come back together).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from leadblock_client.calls import Call, error_code, retry_after
from leadblock_client.plans import Plan, Sleep

T = TypeVar("T")
logger = logging.getLogger("leadblock_client")

RETRIED_STATUSES = frozenset({429, 503})
IN_USE = "idempotency_key_in_use"
# No answer, but the request may have reached the server: what a lost answer looks like.
LOST = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """A retry about to happen: handed to `Retry.on_retry`, and logged at INFO."""

    method: str
    path: str
    attempt: int  # the attempt that failed, 1 for the first
    wait: float  # seconds, before the next attempt
    status: int | None  # None: no answer
    code: str | None  # the error envelope's code
    idempotency_key: str | None
    error: Exception | None  # httpx's exception when there was no answer


@dataclass(frozen=True, slots=True)
class Retry:
    """The retry policy of a client: `attempts` in all, the first included (1 never
    retries)."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    on_retry: Callable[[RetryNotice], None] | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def wait(
        self, call: Call[Any], outcome: httpx.Response | httpx.TransportError, attempt: int
    ) -> float | None:
        """Seconds to wait before sending `call` again after `outcome` of its `attempt`th
        try; None when the outcome is final."""
        if attempt >= self.attempts:
            return None
        if isinstance(outcome, httpx.TransportError):
            lost = isinstance(outcome, LOST) and call.resend_when_lost
            return self._backoff(attempt) if lost else None
        if outcome.status_code in RETRIED_STATUSES:
            asked = retry_after(outcome)
            if asked is None:
                return self._backoff(attempt)
            return asked if asked <= self.max_retry_after else None
        if outcome.status_code == 409 and call.idempotency_key and error_code(outcome) == IN_USE:
            return self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def notify(self, notice: RetryNotice) -> None:
        logger.info(
            "%s %s: attempt %d got %s; retrying in %.2f s",
            notice.method,
            notice.path,
            notice.attempt,
            notice.code or notice.status or type(notice.error).__name__,
            notice.wait,
        )
        if self.on_retry is not None:
            self.on_retry(notice)


def exchange(call: Call[T], retry: Retry) -> Plan[T]:
    """The plan of one call: send it, and again as `retry` says; its value or its error."""
    attempt = 1
    while True:
        outcome: httpx.Response | httpx.TransportError
        try:
            outcome = yield call
        except httpx.TransportError as error:
            outcome = error
        wait = retry.wait(call, outcome, attempt)
        if wait is None:
            return call.answer(outcome)
        if isinstance(outcome, httpx.Response):
            status, code, lost = outcome.status_code, error_code(outcome), None
        else:
            status, code, lost = None, None, outcome
        notice = RetryNotice(
            call.method, call.path, attempt, wait, status, code, call.idempotency_key, lost
        )
        retry.notify(notice)
        yield Sleep(wait)
        attempt += 1
