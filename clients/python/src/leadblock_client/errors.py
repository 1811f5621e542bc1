"""Everything the client raises, one tree:

    LeadblockError                    anything this client raises
     ├── APIConnectionError           no answer: the server could not be reached, or the answer
     │                                was lost (timeout, dropped connection), after every retry
     ├── UnexpectedResponseError      a 2xx answer that is not what the API documents (a wrong
     │                                base URL, a proxy's page)
     └── APIError                     the server refused: `status`, and from its error envelope
          │                           `code`, `message` and `errors` (one ErrorItem per bad entry)
          ├── ValidationError            400  malformed_json, invalid_input: nothing was written
          ├── AuthenticationError        401  unauthenticated: missing, unknown or revoked key
          ├── PermissionDeniedError      403  forbidden: a read-only key asked for a write
          ├── NotFoundError              404  not_found: unknown id, or another workspace's
          ├── ConflictError              409  idempotency_key_in_use (retried before it is raised)
          ├── IdempotencyKeyReusedError  422  idempotency_key_reused
          ├── RateLimitedError           429  rate_limited (retried; `retry_after`)
          ├── UnavailableError           503  unavailable: nothing was written (retried;
          │                                   `retry_after`)
          └── ServerError                500 and any other 5xx

Other statuses (405, 408, 413) are raised as `APIError` itself, with their code. An answer that is
not the envelope (a proxy's 502 page) is raised by its status with `code` None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from leadblock_client.models import ErrorItem


class LeadblockError(Exception):
    """Base of every exception this client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(LeadblockError):
    """The request got no answer, after every retry its kind allows. `__cause__` is httpx's
    exception. For a write sent with an Idempotency-Key, sending it again with the same key
    (which a retry does) can never apply it twice."""


class UnexpectedResponseError(LeadblockError):
    """A successful answer whose body is not what the API documents."""


class APIError(LeadblockError):
    """The server answered with an error: `status` and the envelope's `code`, `message` and
    `errors`; `retry_after` is the `Retry-After` header in seconds, if any."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        errors: tuple[ErrorItem, ...] = (),
        *,
        retry_after: float | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.errors = errors
        self.retry_after = retry_after
        self.response = response

    def __str__(self) -> str:
        return f"{self.status} {self.code or 'error'}: {self.message}"


class ValidationError(APIError):
    """400: malformed JSON or invalid input; `errors` lists every entry at fault."""


class AuthenticationError(APIError):
    """401: the API key is missing, unknown or revoked."""


class PermissionDeniedError(APIError):
    """403: a read-only key asked for a write."""


class NotFoundError(APIError):
    """404: no such record in this key's workspace."""


class ConflictError(APIError):
    """409: a request with the same Idempotency-Key is still running."""


class IdempotencyKeyReusedError(APIError):
    """422: the Idempotency-Key was already used for another request."""


class RateLimitedError(APIError):
    """429: over the key's (or the address's) rate limit."""


class UnavailableError(APIError):
    """503: the database is busy, unreachable or full; nothing was written."""


class ServerError(APIError):
    """500 or another 5xx."""


ERRORS_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: IdempotencyKeyReusedError,
    429: RateLimitedError,
    503: UnavailableError,
}


def error_class(status: int) -> type[APIError]:
    """The exception class of an error answer's status."""
    return ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else APIError)
