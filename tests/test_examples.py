"""The sender loop of `examples/sender.py` against a real server: it messages exactly the
leads confirm lets through, never a lead blocked after its lease, and hands back the leads
whose message failed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import TenantFixture

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sender.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sender_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def statuses(client: httpx.Client, campaign: str) -> dict[str, str]:
    leads = client.get(f"/campaigns/{campaign}/leads").json()
    return {lead["publicIdentifier"]: lead["status"] for lead in leads}


def test_the_sender_messages_exactly_what_confirm_lets_through(tenant: TenantFixture) -> None:
    sender = load_example()
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "example"}).json()["id"]
    prospects = [f"prospect-{n}" for n in range(6)]
    leads = [{"publicIdentifier": ident} for ident in prospects]
    client.post(f"/campaigns/{campaign}/leads", json={"leads": leads})
    client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "prospect-0"}]})
    messaged: list[str] = []

    def send(lead: dict[str, Any]) -> None:
        if lead["publicIdentifier"] == "prospect-2":
            # Someone opts out while the batch is being messaged: the next confirm sees it.
            opt_out = {"leads": [{"publicIdentifier": "prospect-4"}]}
            assert client.post("/blocked-leads", json=opt_out).status_code == 200
        if lead["publicIdentifier"] == "prospect-3":
            raise RuntimeError("the message could not be sent")
        messaged.append(lead["publicIdentifier"])

    batch = sender.send_batch(client, campaign, send, size=10)
    assert messaged == ["prospect-1", "prospect-2", "prospect-5"]
    assert [lead["publicIdentifier"] for lead in batch.sent] == messaged
    assert [lead["publicIdentifier"] for lead in batch.blocked] == ["prospect-4"]
    assert [lead["publicIdentifier"] for lead in batch.failed] == ["prospect-3"]

    assert statuses(client, campaign) == {
        "prospect-0": "pending",
        "prospect-1": "dispatched",
        "prospect-2": "dispatched",
        "prospect-3": "pending",
        "prospect-4": "pending",
        "prospect-5": "dispatched",
    }
    # The failed one comes back in the next batch; the blocked ones do not.
    messaged.clear()
    again = sender.send_batch(client, campaign, lambda lead: messaged.append(lead["id"]))
    assert [lead["publicIdentifier"] for lead in again.sent] == ["prospect-3"]


def test_the_sender_hands_everything_back_when_the_gate_is_unreachable(
    tenant: TenantFixture,
) -> None:
    sender = load_example()
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "example"}).json()["id"]
    leads = [{"publicIdentifier": f"prospect-{n}"} for n in range(3)]
    client.post(f"/campaigns/{campaign}/leads", json={"leads": leads})
    original = client.post

    def flaky_post(url: str, **kwargs: Any) -> Any:
        if url.endswith("/confirm"):
            raise ConnectionError("the gate is unreachable")
        return original(url, **kwargs)

    client.post = flaky_post  # type: ignore[method-assign]
    try:
        with pytest.raises(ConnectionError):
            sender.send_batch(client, campaign, lambda lead: pytest.fail("messaged unconfirmed"))
    finally:
        client.post = original  # type: ignore[method-assign]
    statuses = {lead["status"] for lead in client.get(f"/campaigns/{campaign}/leads").json()}
    assert statuses == {"pending"}


def test_the_sender_retries_a_lost_answer_without_acting_twice(tenant: TenantFixture) -> None:
    """The answers of the first dispatch and of the first confirm are lost after the server
    acted on them: the retries (same Idempotency-Key) get those answers, so one batch is
    leased, not two, and each lead is messaged once."""
    sender = load_example()
    sender.time = _NoSleep()  # the example's backoff, without the wait
    client = tenant.client
    campaign = client.post("/campaigns", json={"name": "example"}).json()["id"]
    leads = [{"publicIdentifier": f"prospect-{n}"} for n in range(4)]
    client.post(f"/campaigns/{campaign}/leads", json={"leads": leads})
    original = client.post
    lost: list[str] = []

    def answer_lost_once(url: str, **kwargs: Any) -> Any:
        response = original(url, **kwargs)
        action = url.rsplit("/", 1)[1]
        if action in ("dispatch", "confirm") and action not in lost:
            lost.append(action)
            raise httpx.ReadTimeout("the answer was lost")
        return response

    client.post = answer_lost_once  # type: ignore[method-assign]
    messaged: list[str] = []
    try:
        batch = sender.send_batch(
            client, campaign, lambda lead: messaged.append(lead["publicIdentifier"]), size=2
        )
    finally:
        client.post = original  # type: ignore[method-assign]
    assert lost == ["dispatch", "confirm"]
    assert messaged == ["prospect-0", "prospect-1"]
    assert [lead["publicIdentifier"] for lead in batch.sent] == messaged
    assert statuses(client, campaign) == {
        "prospect-0": "dispatched",
        "prospect-1": "dispatched",
        "prospect-2": "pending",
        "prospect-3": "pending",
    }


class _NoSleep:
    @staticmethod
    def sleep(_seconds: float) -> None:
        pass
