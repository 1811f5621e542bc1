"""One API request as data: what to send, and how to read its answer.

endpoints.py builds a `Call` for every operation; the clients only send it (clients.py), so the
sync and the async client share every rule: paths, query, bodies, the Idempotency-Key, how an
answer is read and which error it raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from leadblock_client.errors import (
    APIConnectionError,
    APIError,
    UnexpectedResponseError,
    error_class,
)
from leadblock_client.models import ErrorEnvelope
from leadblock_client.wire import from_wire

T = TypeVar("T")
M = TypeVar("M")
Query = tuple[tuple[str, str], ...]
WRITES = frozenset({"POST", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """A request to `/api/v1` + `path`, and `read`, which makes its answer's value.

    A write carries an `idempotency_key`, made once when the call is built: every retry of the
    call sends the same key, so the server applies it at most once. `resend_when_lost` says
    whether the call may be sent again when its answer is lost (a read, a keyed write), or not
    (a POST the server never replays: a webhook test would send a second event).
    """

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    query: Query = ()
    body: bytes | None = None
    content_type: str | None = None
    idempotency_key: str | None = None
    resend_when_lost: bool = True

    def with_query(self, **changes: str | None) -> Call[T]:
        """The same call with query parameters set (a value) or removed (None)."""
        kept = tuple((name, value) for name, value in self.query if name not in changes)
        added = tuple((name, value) for name, value in changes.items() if value is not None)
        return dataclasses.replace(self, query=kept + added)

    def answer(self, outcome: httpx.Response | httpx.TransportError) -> T:
        """The value of the call's final outcome, or the exception it calls for."""
        if isinstance(outcome, httpx.TransportError):
            raise APIConnectionError(
                f"{self.method} {self.path}: no answer ({type(outcome).__name__}: {outcome})"
            ) from outcome
        if not outcome.is_success:
            raise api_error(outcome)
        return self.read(outcome)


def read_call(
    method: str, path: str, read: Callable[[httpx.Response], T], body: object = None, **query: Any
) -> Call[T]:
    """A GET, or a POST that only reads (a check): never keyed, always safe to send again."""
    return Call(method, path, read, encode_query(query), *encode_body(body))


def write_call(
    method: str,
    path: str,
    read: Callable[[httpx.Response], T],
    body: object = None,
    *,
    keyed: bool = True,
    **query: Any,
) -> Call[T]:
    """A POST, PATCH or DELETE with a JSON body (None: none). Keyed unless `keyed` is False;
    then it is never sent again after a lost answer."""
    assert method in WRITES
    return Call(
        method,
        path,
        read,
        encode_query(query),
        *encode_body(body),
        idempotency_key=str(uuid.uuid4()) if keyed else None,
        resend_when_lost=keyed,
    )


def csv_call(
    path: str, read: Callable[[httpx.Response], T], csv: str | bytes, **query: Any
) -> Call[T]:
    """A keyed POST of a CSV file."""
    body = csv.encode() if isinstance(csv, str) else csv
    call = write_call("POST", path, read, **query)
    return dataclasses.replace(call, body=body, content_type="text/csv; charset=utf-8")


def encode_body(body: object) -> tuple[bytes | None, str | None]:
    """A JSON body's exact bytes and content type: the same bytes on every retry, as the
    Idempotency-Key's fingerprint requires. None: no body."""
    if body is None:
        return None, None
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), "application/json"


def path_of(*segments: str) -> str:
    """`/campaigns/<id>/leads` from its segments, each id quoted (an id is opaque: a `/` in one
    must not reach another route)."""
    parts = []
    for segment in segments:
        if not segment:
            raise ValueError("an id must not be empty")
        parts.append(quote(segment, safe=""))
    return "/" + "/".join(parts)


def encode_query(query: Mapping[str, Any]) -> Query:
    """Query parameters by their wire names; None and False (a flag not given) are left out."""
    encoded = []
    for name, value in query.items():
        if value is None or value is False:
            continue
        encoded.append((name, "true" if value is True else str(value)))
    return tuple(encoded)


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponseError(
            f"{response.request.method} {response.request.url.path}: answer {response.status_code}"
            f" is not JSON: {response.text[:80]!r}"
        ) from None


def model_reader(model: type[M]) -> Callable[[httpx.Response], M]:
    """Reads an answer that is one `model`."""
    return lambda response: from_wire(model, json_of(response))


def list_reader(model: type[M]) -> Callable[[httpx.Response], tuple[M, ...]]:
    """Reads an answer that is an array of `model`."""

    def read(response: httpx.Response) -> tuple[M, ...]:
        items = json_of(response)
        if not isinstance(items, list):
            raise UnexpectedResponseError(f"expected an array, got {type(items).__name__}")
        return tuple(from_wire(model, item, f"answer[{i}]") for i, item in enumerate(items))

    return read


def no_value(_response: httpx.Response) -> None:
    """Reads an answer that carries nothing the caller needs (`{"success": true, "message"}`)."""


def text_of(response: httpx.Response) -> str:
    return response.text


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (a number of seconds or an HTTP date), None when absent or
    unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def error_code(response: httpx.Response) -> str | None:
    """The `code` of an error answer, None when it is not the envelope."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def api_error(response: httpx.Response) -> APIError:
    """The typed exception of an error answer (errors.py)."""
    kind = error_class(response.status_code)
    after = retry_after(response)
    try:
        envelope = from_wire(ErrorEnvelope, response.json(), "error")
    except (ValueError, UnexpectedResponseError):
        message = f"HTTP {response.status_code}: {response.text[:200]}"
        return kind(response.status_code, None, message, retry_after=after, response=response)
    return kind(
        response.status_code,
        envelope.code,
        envelope.message,
        envelope.errors,
        retry_after=after,
        response=response,
    )
