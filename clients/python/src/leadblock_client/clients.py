"""`Client` and `AsyncClient`: the same methods (api.py), performed with httpx's sync or async
client. All they do of their own is perform a plan's steps (plans.py): send one request, sleep,
hand a lead to the user's `send`."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from leadblock_client import sending
from leadblock_client.api import Api, AsyncRunner, SyncRunner
from leadblock_client.calls import Call
from leadblock_client.models import CampaignLead
from leadblock_client.paging import Page, next_page
from leadblock_client.plans import Deliver, Plan, Sleep, Step, Stepper
from leadblock_client.retries import Retry, exchange
from leadblock_client.version import VERSION

T = TypeVar("T")
R = TypeVar("R")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)

API_PREFIX = "/api/v1"
USER_AGENT = f"leadblock-client/{VERSION} httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = 30.0


def api_url(base_url: str) -> str:
    """`http://host:8000` (or `http://host:8000/api/v1`) -> `http://host:8000/api/v1`."""
    url = base_url.rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class Connection(Generic[H]):
    """Where requests go and with which key; how a call becomes an httpx request."""

    def __init__(self, base_url: str, api_key: str, http: H, retry: Retry | None, owned: bool):
        self.api = api_url(base_url)
        self.retry = retry or Retry()
        self._api_key = api_key
        self._http: H = http
        self._owned = owned  # made here, so closed here

    def _request(self, call: Call[Any]) -> httpx.Request:
        headers = {"x-api-key": self._api_key, "user-agent": USER_AGENT}
        if call.content_type is not None:
            headers["content-type"] = call.content_type
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        request: httpx.Request = self._http.build_request(
            call.method, self.api + call.path, params=call.query, content=call.body, headers=headers
        )
        return request

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.api!r})"


class Client(Api, SyncRunner, Connection[httpx.Client]):
    """The leadblock API, synchronously.

        with Client("http://127.0.0.1:8000", api_key) as client:
            client.block_leads(["john-doe"])

    `retry` says when a request is sent again (retries.py); `http_client` lends an
    `httpx.Client` of your own (proxies, event hooks, transports), which is then yours to
    close; `timeout` (seconds) applies to the client made here otherwise.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        retry: Retry | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
    ) -> None:
        http = http_client or httpx.Client(timeout=timeout)
        super().__init__(base_url, api_key, http, retry, owned=http_client is None)

    def send_batch(
        self,
        campaign_id: str,
        send: Callable[[CampaignLead], object],
        *,
        size: int = 50,
        lease_seconds: int = 900,
    ) -> sending.SendSummary:
        """Lease up to `size` leads of the campaign for `lease_seconds`, then for each: confirm
        it, and call `send(lead)` only if confirmed; release it if `send` raises. When the gate
        cannot be reached, release the rest and raise. See sending.py."""
        plan = sending.send_batch(campaign_id, size, lease_seconds, self.retry)
        return self._run(plan, send)

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _execute(self, call: Call[T]) -> T:
        return self._run(exchange(call, self.retry))

    def _iterate(self, call: Call[Page[T]]) -> Iterator[T]:
        following: Call[Page[T]] | None = call
        while following is not None:
            page = self._execute(following)
            yield from page.items
            following = next_page(following, page)

    def _run(self, plan: Plan[R], send: Callable[[CampaignLead], object] | None = None) -> R:
        stepper = Stepper(plan)
        while (step := stepper.next_step()) is not None:
            try:
                stepper.outcome = self._perform(step, send)
            except Exception as error:
                stepper.error = error
        return stepper.value

    def _perform(self, step: Step, send: Callable[[CampaignLead], object] | None) -> object:
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, Deliver):
            assert send is not None
            return send(step.lead)
        return self._http.send(self._request(step))


class AsyncClient(Api, AsyncRunner, Connection[httpx.AsyncClient]):
    """The leadblock API on asyncio: the methods of `Client`, as coroutines.

    async with AsyncClient("http://127.0.0.1:8000", api_key) as client:
        await client.block_leads(["john-doe"])
        async for lead in client.iter_blocked_leads():
            ...
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        retry: Retry | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        http = http_client or httpx.AsyncClient(timeout=timeout)
        super().__init__(base_url, api_key, http, retry, owned=http_client is None)

    async def send_batch(
        self,
        campaign_id: str,
        send: Callable[[CampaignLead], Awaitable[object] | object],
        *,
        size: int = 50,
        lease_seconds: int = 900,
    ) -> sending.SendSummary:
        """`Client.send_batch`, with `send` a coroutine function (or a plain one)."""
        plan = sending.send_batch(campaign_id, size, lease_seconds, self.retry)
        return await self._run(plan, send)

    async def aclose(self) -> None:
        if self._owned:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, *exc: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        await self.aclose()

    async def _execute(self, call: Call[T]) -> T:
        return await self._run(exchange(call, self.retry))

    async def _iterate(self, call: Call[Page[T]]) -> AsyncIterator[T]:
        following: Call[Page[T]] | None = call
        while following is not None:
            page = await self._execute(following)
            for item in page.items:
                yield item
            following = next_page(following, page)

    async def _run(
        self,
        plan: Plan[R],
        send: Callable[[CampaignLead], Awaitable[object] | object] | None = None,
    ) -> R:
        stepper = Stepper(plan)
        while (step := stepper.next_step()) is not None:
            try:
                stepper.outcome = await self._perform(step, send)
            except Exception as error:
                stepper.error = error
        return stepper.value

    async def _perform(
        self, step: Step, send: Callable[[CampaignLead], Awaitable[object] | object] | None
    ) -> object:
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        if isinstance(step, Deliver):
            assert send is not None
            delivered = send(step.lead)
            return await delivered if inspect.isawaitable(delivered) else delivered
        return await self._http.send(self._request(step))
