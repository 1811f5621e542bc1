"""The errors leadblock raises, independent of HTTP (api/errors.py maps them to statuses;
the CLI to exit codes).

    LeadblockError
     ├── InvalidInput           one or more inputs break a rule; `errors` lists them per item
     │    └── MalformedBody     the body is not valid JSON (or CSV) at all
     ├── NotAuthenticated       no key, or an unknown or revoked one
     ├── Forbidden              a read-only key asked for a write
     ├── NotFound               no such record in the caller's workspace
     ├── PayloadTooLarge        the body is over the configured limit
     ├── IdempotencyKeyInUse    a request with the same Idempotency-Key is still running
     ├── IdempotencyKeyReused   the Idempotency-Key was used for another request
     ├── RateLimited            over a rate limit: retry after `retry_after` seconds
     └── ServiceUnavailable     the database is unreachable, locked or full; nothing was written
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ItemError:
    index: int
    value: Any
    message: str


class LeadblockError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LeadblockError):
    def __init__(self, message: str, errors: list[ItemError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class MalformedBody(InvalidInput):
    pass


class NotAuthenticated(LeadblockError):
    pass


class Forbidden(LeadblockError):
    pass


class NotFound(LeadblockError):
    pass


class PayloadTooLarge(LeadblockError):
    pass


class IdempotencyKeyInUse(LeadblockError):
    pass


class IdempotencyKeyReused(LeadblockError):
    pass


class RateLimited(LeadblockError):
    def __init__(self, message: str, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = headers


class ServiceUnavailable(LeadblockError):
    pass
