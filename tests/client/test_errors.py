"""Typed errors: each refusal of the real server raises its class of the one exception tree, with
the envelope's status, code, message and entries; no answer, or an answer that is not the API's,
raises its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import httpx
import pytest

from leadblock_client import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    Client,
    ErrorItem,
    LeadInput,
    NotFoundError,
    PermissionDeniedError,
    Retry,
    RetryNotice,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
)
from tests.client.conftest import FAST, Connect
from tests.conftest import TenantFixture
from tests.receiver import Receiver
from tests.server import Server, free_port

ONCE = Retry(attempts=1)


def refusal(error: APIError) -> tuple[type[APIError], int, str | None, str, tuple[ErrorItem, ...]]:
    return type(error), error.status, error.code, error.message, error.errors


def test_an_unknown_key_is_an_authentication_error(connect: Connect, server: Server) -> None:
    client = connect(server.url, "lb_0123456789abcdef_" + "A" * 43, retry=ONCE)
    with pytest.raises(AuthenticationError) as refused:
        client.list_campaigns()
    assert refusal(refused.value) == (
        AuthenticationError,
        401,
        "unauthenticated",
        "Invalid or revoked API key.",
        (),
    )
    assert str(refused.value) == "401 unauthenticated: Invalid or revoked API key."


def test_a_read_only_key_may_read_and_dry_run_but_not_write(
    connect: Connect, server: Server, tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    client = connect(server.url, read_only_client.headers["x-api-key"])
    with pytest.raises(PermissionDeniedError) as refused:
        client.block_leads(["john-doe"])
    assert refusal(refused.value) == (
        PermissionDeniedError,
        403,
        "forbidden",
        "This API key is read-only.",
        (),
    )
    assert client.block_leads(["john-doe"], dry_run=True).blocked == 1
    assert client.list_blocked_leads().total == 0


def test_an_unknown_record_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as refused:
        client.get_campaign("01a20dfd73c100000000c0587ecaf8ee")
    assert refusal(refused.value) == (NotFoundError, 404, "not_found", "Campaign not found.", ())
    with pytest.raises(NotFoundError):
        client.confirm_claim(client.create_campaign("c").id, "no-such-claim")


def test_invalid_input_lists_every_bad_entry_and_writes_nothing(client: Client) -> None:
    with pytest.raises(ValidationError) as refused:
        client.block_leads(["!!", "fine-lead", "https://example.com/in/john-doe"])
    assert refusal(refused.value) == (
        ValidationError,
        400,
        "invalid_input",
        "2 invalid leads; nothing was written.",
        (
            ErrorItem(index=0, value="!!", message="publicIdentifier is shorter than 3 characters"),
            ErrorItem(
                index=2,
                value="https://example.com/in/john-doe",
                message="publicIdentifier not a LinkedIn URL (host is not linkedin.com)",
            ),
        ),
    )
    assert client.list_blocked_leads().total == 0
    with pytest.raises(ValidationError) as too_many:
        client.list_blocked_leads(limit=1001)
    assert too_many.value.code == "invalid_input"
    assert [item.index for item in too_many.value.errors] == [-1]


def test_no_answer_is_a_connection_error_after_the_retries(connect: Connect) -> None:
    notices: list[RetryNotice] = []
    nowhere = f"http://127.0.0.1:{free_port()}"
    client = connect(nowhere, "lb_key", retry=replace(FAST, on_retry=notices.append))
    with pytest.raises(APIConnectionError) as failed:
        client.list_campaigns()
    assert isinstance(failed.value.__cause__, httpx.ConnectError)
    assert [(n.attempt, n.status, type(n.error)) for n in notices] == [
        (1, None, httpx.ConnectError),
        (2, None, httpx.ConnectError),
        (3, None, httpx.ConnectError),
    ]


def test_an_answer_that_is_not_the_apis_is_an_error_of_its_own(
    connect: Connect, receiver: Receiver
) -> None:
    """The test receiver is no leadblock server: it answers a POST `ok`, and a GET 501."""
    client = connect(receiver.url("/not-leadblock"), "lb_key", retry=ONCE)
    with pytest.raises(UnexpectedResponseError):
        client.create_campaign("c")
    with pytest.raises(ServerError) as refused:
        client.list_campaigns()
    assert (refused.value.status, refused.value.code) == (501, None)


def test_a_timestamp_without_a_time_zone_is_refused_before_it_is_sent(client: Client) -> None:
    """An expiry is an instant: a naive datetime would be read in some zone nobody chose."""
    naive = dt.datetime(2099, 1, 1)
    with pytest.raises(ValueError, match="has no time zone"):
        client.block_leads([LeadInput(public_identifier="john-doe", expires_at=naive)])
    assert client.list_blocked_leads().total == 0
