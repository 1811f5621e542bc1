"""Fixtures of the client's tests: a `Client` and an `AsyncClient` on the session's real server,
each with a fresh workspace (tests/conftest.py), and the same tests run through both."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, cast

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from leadblock_client import AsyncClient, Client, Retry
from tests.conftest import TenantFixture
from tests.server import Server

# Retries without the waits a real deployment wants, for the tests that provoke them.
FAST = Retry(attempts=4, backoff=0.01, max_backoff=0.02)


class Blocking:
    """An `AsyncClient` used like a `Client`: each method runs on the portal's event loop and
    its value is returned; an `iter_*` method's items are gathered first (`async for`)."""

    def __init__(self, client: AsyncClient, portal: BlockingPortal) -> None:
        self._client = client
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def blocking(*args: Any, **kwargs: Any) -> Any:
            if name.startswith("iter_"):

                async def gather() -> list[Any]:
                    return [item async for item in method(*args, **kwargs)]

                return iter(self._portal.call(gather))
            return self._portal.call(functools.partial(method, *args, **kwargs))

        return blocking


Connect = Callable[..., Client]


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest) -> Iterator[Connect]:
    """Makes clients as `Client(...)` does: `Client`s, or `AsyncClient`s behind `Blocking`;
    closed after the test."""
    with ExitStack() as stack:
        if request.param == "sync":

            def connect_sync(*args: Any, **kwargs: Any) -> Client:
                return stack.enter_context(Client(*args, **kwargs))

            yield connect_sync
            return
        portal = stack.enter_context(start_blocking_portal())

        def connect_async(*args: Any, **kwargs: Any) -> Client:
            async_client = AsyncClient(*args, **kwargs)
            stack.callback(portal.call, async_client.aclose)
            return cast(Client, Blocking(async_client, portal))

        yield connect_async


@pytest.fixture
def client(connect: Connect, server: Server, tenant: TenantFixture) -> Client:
    """The tenant's client, sync or async."""
    return connect(server.url, tenant.api_key)


@pytest.fixture
def bystander(server: Server, tenant: TenantFixture) -> Iterator[Client]:
    """Another sync client of the tenant's workspace: someone else acting meanwhile."""
    with Client(server.url, tenant.api_key) as other:
        yield other
