"""The methods of `Client` and `AsyncClient`, listed once.

Each method is an endpoint of endpoints.py bound by a descriptor: on a `Client` it sends the
call and returns its value; on an `AsyncClient` it returns a coroutine of that value. Each
`iter_*` method follows `X-Next-Cursor` through every page of its list, as an iterator or an
async iterator. Type checkers see the exact signature of each (a ParamSpec), sync or async.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Generic, ParamSpec, TypeVar, overload

from leadblock_client import endpoints
from leadblock_client.calls import Call
from leadblock_client.paging import Page

P = ParamSpec("P")
T = TypeVar("T")


class SyncRunner(ABC):
    """What a sync client does with a call: send it and return its value, or walk its pages."""

    @abstractmethod
    def _execute(self, call: Call[T]) -> T: ...

    @abstractmethod
    def _iterate(self, call: Call[Page[T]]) -> Iterator[T]: ...


class AsyncRunner(ABC):
    """What an async client does with a call."""

    @abstractmethod
    async def _execute(self, call: Call[T]) -> T: ...

    @abstractmethod
    def _iterate(self, call: Call[Page[T]]) -> AsyncIterator[T]: ...


class Operation(Generic[P, T]):
    """An endpoint as a method: `client.name(...)` builds the call and runs it."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Operation[P, T]: ...
    @overload
    def __get__(self, client: SyncRunner, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, client: AsyncRunner, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, client: SyncRunner | AsyncRunner | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build = self.build

        @functools.wraps(build)
        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            return client._execute(build(*args, **kwargs))

        return method


class Pages(Generic[P, T]):
    """A paged list as an iterator over all its items: `client.iter_name(...)`."""

    def __init__(self, build: Callable[P, Call[Page[T]]]) -> None:
        self.build = build
        self.__doc__ = (
            f"Every item of `{build.__name__}`, page after page (following `X-Next-Cursor`); "
            "the arguments are those of its first page."
        )

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Pages[P, T]: ...
    @overload
    def __get__(self, client: SyncRunner, owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, client: AsyncRunner, owner: type[Any]) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, client: SyncRunner | AsyncRunner | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build = self.build

        def iterate(*args: P.args, **kwargs: P.kwargs) -> Any:
            return client._iterate(build(*args, **kwargs))

        iterate.__doc__ = self.__doc__
        return iterate


class Api:
    """Every operation of the leadblock API (endpoints.py has each one's documentation)."""

    # Workspace blocklist
    block_leads = Operation(endpoints.block_leads)
    list_blocked_leads = Operation(endpoints.list_blocked_leads)
    iter_blocked_leads = Pages(endpoints.list_blocked_leads)
    get_blocked_lead = Operation(endpoints.get_blocked_lead)
    update_blocked_lead = Operation(endpoints.update_blocked_lead)
    unblock_lead = Operation(endpoints.unblock_lead)
    unblock_leads = Operation(endpoints.unblock_leads)
    check_leads = Operation(endpoints.check_leads)
    check_lead = Operation(endpoints.check_lead)
    export_blocked_leads = Operation(endpoints.export_blocked_leads)
    import_blocked_leads = Operation(endpoints.import_blocked_leads)
    list_events = Operation(endpoints.list_events)
    iter_events = Pages(endpoints.list_events)
    # Campaigns
    create_campaign = Operation(endpoints.create_campaign)
    list_campaigns = Operation(endpoints.list_campaigns)
    iter_campaigns = Pages(endpoints.list_campaigns)
    get_campaign = Operation(endpoints.get_campaign)
    delete_campaign = Operation(endpoints.delete_campaign)
    block_in_campaign = Operation(endpoints.block_in_campaign)
    list_campaign_blocks = Operation(endpoints.list_campaign_blocks)
    iter_campaign_blocks = Pages(endpoints.list_campaign_blocks)
    unblock_in_campaign = Operation(endpoints.unblock_in_campaign)
    enrol_leads = Operation(endpoints.enrol_leads)
    list_campaign_leads = Operation(endpoints.list_campaign_leads)
    iter_campaign_leads = Pages(endpoints.list_campaign_leads)
    dispatch_leads = Operation(endpoints.dispatch_leads)
    confirm_claim = Operation(endpoints.confirm_claim)
    release_claim = Operation(endpoints.release_claim)
    # Company blocks
    block_companies = Operation(endpoints.block_companies)
    list_company_blocks = Operation(endpoints.list_company_blocks)
    iter_company_blocks = Pages(endpoints.list_company_blocks)
    get_company_block = Operation(endpoints.get_company_block)
    update_company_block = Operation(endpoints.update_company_block)
    unblock_company = Operation(endpoints.unblock_company)
    unblock_companies = Operation(endpoints.unblock_companies)
    export_company_blocks = Operation(endpoints.export_company_blocks)
    import_company_blocks = Operation(endpoints.import_company_blocks)
    # Webhooks
    create_webhook = Operation(endpoints.create_webhook)
    list_webhooks = Operation(endpoints.list_webhooks)
    get_webhook = Operation(endpoints.get_webhook)
    update_webhook = Operation(endpoints.update_webhook)
    delete_webhook = Operation(endpoints.delete_webhook)
    rotate_webhook_secret = Operation(endpoints.rotate_webhook_secret)
    list_webhook_deliveries = Operation(endpoints.list_webhook_deliveries)
    iter_webhook_deliveries = Pages(endpoints.list_webhook_deliveries)
    test_webhook = Operation(endpoints.test_webhook)
