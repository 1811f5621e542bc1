"""Webhooks through the API, delivered by the session's server to a real receiver on 127.0.0.1
(allowed through LEADBLOCK_WEBHOOK_ALLOWED_HOSTS), every delivery verified with the
`standardwebhooks` package."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.conftest import TenantFixture
from tests.receiver import Behaviour, Receiver, eventually
from tests.shapes import error


def create(client: httpx.Client, receiver: Receiver, **fields: Any) -> tuple[dict[str, Any], str]:
    """A new endpoint on a path of its own; the receiver verifies with its secret."""
    path = receiver.new_path()
    answer = client.post("/webhooks", json={"url": receiver.url(path), **fields})
    assert answer.status_code == 200, answer.text
    webhook = answer.json()
    receiver.verify_with(path, webhook["secret"])
    return webhook, path


def block(client: httpx.Client, *identifiers: str) -> None:
    answer = client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": i} for i in identifiers]}
    )
    assert answer.status_code == 200, answer.text


def trail(client: httpx.Client) -> list[dict[str, Any]]:
    """The workspace's audit trail, oldest first."""
    return list(reversed(client.get("/blocked-leads/events", params={"limit": 1000}).json()))


def without_retries(ids: list[str]) -> list[str]:
    """Delivered ids with a repeat of the one before dropped (a retry's duplicate)."""
    return [i for n, i in enumerate(ids) if n == 0 or ids[n - 1] != i]


def test_an_endpoint_is_created_listed_changed_and_deleted(
    tenant: TenantFixture, receiver: Receiver
) -> None:
    client = tenant.client
    webhook, _path = create(
        client, receiver, events=["unblocked", "blocked"], description="  CRM sync  "
    )
    assert webhook["secret"].startswith("whsec_")
    assert len(base64.b64decode(webhook["secret"].removeprefix("whsec_"))) == 32
    public = {key: value for key, value in webhook.items() if key != "secret"}
    assert public == {
        "id": webhook["id"],
        "url": webhook["url"],
        "events": ["blocked", "unblocked"],
        "description": "CRM sync",
        "enabled": True,
        "disabledReason": None,
        "createdAt": webhook["createdAt"],
        "failingSince": None,
        "nextAttemptAt": None,
    }
    # The secret is shown once: never listed, never read back.
    assert client.get("/webhooks").json() == [public]
    assert client.get(f"/webhooks/{webhook['id']}").json() == public

    changed = client.patch(
        f"/webhooks/{webhook['id']}", json={"events": None, "description": None, "enabled": False}
    )
    assert changed.json() == {**public, "events": [], "description": None, "enabled": False}
    assert client.get(f"/webhooks/{webhook['id']}").json() == changed.json()

    rotated = client.post(f"/webhooks/{webhook['id']}/rotate-secret").json()
    assert rotated["secret"] != webhook["secret"]
    assert rotated["secret"].startswith("whsec_")

    deleted = client.delete(f"/webhooks/{webhook['id']}")
    assert deleted.json() == {"success": True, "message": "Webhook deleted."}
    assert client.get("/webhooks").json() == []
    assert client.get(f"/webhooks/{webhook['id']}").json() == error(
        "not_found", "Webhook not found."
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "ftp://example.com/hook"}, "url must start with https://"),
        ({"url": "https://user:pw@example.com/"}, "url must not carry a user name or password"),
        ({"url": "https://example.com/#x"}, "url must not have a fragment"),
        ({"url": "not a url"}, "url must be ASCII without spaces"),
        ({"url": "https://127.0.0.1/hook"}, "url's host 127.0.0.1 is a loopback address"),
        ({"url": "https://localhost:8443/"}, "url's host localhost is 127.0.0.1, a loopback"),
        ({"url": "https://0.0.0.0/"}, "url's host 0.0.0.0 is an unspecified address"),
        ({"url": "https://[::]/"}, "url's host :: is an unspecified address"),
        ({"url": "https://[::1]/"}, "url's host ::1 is a loopback address"),
        ({"url": "https://[::ffff:10.0.0.1]/"}, "is a private address"),
        ({"url": "https://2130706433/"}, "url's host 2130706433 is 127.0.0.1, a loopback"),
        ({"url": "https://10.1.2.3/"}, "url's host 10.1.2.3 is a private address"),
        ({"url": "https://192.168.0.10/"}, "is a private address"),
        ({"url": "https://169.254.169.254/latest/"}, "is a link-local address"),
        ({"url": "https://[fe80::1]/"}, "is a link-local address"),
        ({"url": "https://224.0.0.1/"}, "is a multicast address"),
        ({"url": "https://100.64.1.1/"}, "is not a public address"),
    ],
)
def test_internal_and_malformed_destinations_are_refused(
    tenant: TenantFixture, body: dict[str, Any], message: str
) -> None:
    answer = tenant.client.post("/webhooks", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_input"
    assert message in answer.json()["message"]
    assert tenant.client.get("/webhooks").json() == []


def test_only_the_allowed_host_and_port_pass(tenant: TenantFixture, receiver: Receiver) -> None:
    """The receiver's host:port is allowed; the same host on another port is not."""
    other_port = receiver.port + 1 if receiver.port < 65535 else receiver.port - 1
    refused = tenant.client.post("/webhooks", json={"url": f"http://127.0.0.1:{other_port}/"})
    assert refused.status_code == 400
    assert "loopback address" in refused.json()["message"]
    webhook, _path = create(tenant.client, receiver)
    # A change of URL is vetted as a creation is.
    moved = tenant.client.patch(f"/webhooks/{webhook['id']}", json={"url": "https://192.168.1.1/"})
    assert moved.status_code == 400
    assert "private address" in moved.json()["message"]
    assert tenant.client.get(f"/webhooks/{webhook['id']}").json()["url"] == webhook["url"]


def test_bad_fields_are_400s(tenant: TenantFixture, receiver: Receiver) -> None:
    url = receiver.url(receiver.new_path())
    for body in (
        {"url": url, "events": ["blocked", "deleted"]},
        {"url": url, "description": "   "},
        {"url": url, "description": "x" * 201},
        {"url": url, "description": "  " + "x" * 201 + "  "},
        {"url": url, "description": "bell\u0007"},
        {"url": 42},
        {},
    ):
        answer = tenant.client.post("/webhooks", json=body)
        assert answer.status_code == 400, (body, answer.text)
    webhook, _path = create(tenant.client, receiver)
    for body in ({"url": None}, {"enabled": None}, {"enabled": "yes"}, {"events": ["x"]}):
        answer = tenant.client.patch(f"/webhooks/{webhook['id']}", json=body)
        assert answer.status_code == 400, (body, answer.text)


def test_read_only_keys_may_look_but_not_change(
    tenant: TenantFixture, read_only_client: httpx.Client, receiver: Receiver
) -> None:
    webhook, _path = create(tenant.client, receiver)
    hook = f"/webhooks/{webhook['id']}"
    assert [w["id"] for w in read_only_client.get("/webhooks").json()] == [webhook["id"]]
    assert read_only_client.get(hook).status_code == 200
    assert read_only_client.get(f"{hook}/deliveries").status_code == 200
    for method, target, body in [
        ("POST", "/webhooks", {"url": receiver.url(receiver.new_path())}),
        ("POST", "/webhooks", {"url": "https://10.0.0.1/"}),  # refused before it is vetted
        ("PATCH", hook, {"enabled": False}),
        ("DELETE", hook, None),
        ("POST", f"{hook}/rotate-secret", None),
        ("POST", f"{hook}/test", None),
    ]:
        answer = read_only_client.request(method, target, json=body)
        assert answer.status_code == 403, (method, target, answer.text)
        assert answer.json() == error("forbidden", "This API key is read-only.")
    assert len(tenant.client.get("/webhooks").json()) == 1


def test_every_event_arrives_signed_in_the_trails_order(
    tenant: TenantFixture, receiver: Receiver
) -> None:
    client = tenant.client
    block(client, "before-the-webhook")
    webhook, path = create(client, receiver)
    block(client, "lead-one", "lead-two")
    client.patch("/blocked-leads/" + _lead_id(client, "lead-one"), json={"reason": "asked"})
    client.request("DELETE", "/blocked-leads", json={"publicIdentifiers": ["lead-two"]})
    client.post("/company-blocks", json={"companies": [{"domain": "acme.com"}]})
    expected = trail(client)[1:]  # not the event from before the endpoint existed
    received = receiver.wait_for(path, len(expected))
    assert [r.webhook_id for r in received] == [event["id"] for event in expected]
    for item, event in zip(received, expected, strict=True):
        assert item.verified
        assert item.payload == {
            "type": event["type"],
            "timestamp": item.payload["timestamp"],
            "data": event,
        }
        assert item.headers["content-type"] == "application/json"
    assert [event["type"] for event in expected] == [
        "blocked",
        "blocked",
        "reason_changed",
        "unblocked",
        "blocked",
    ]
    assert received[-1].payload["data"]["domain"] == "acme.com"
    log = eventually(
        lambda: client.get(f"/webhooks/{webhook['id']}/deliveries").json(),
        lambda log: len(log) == len(expected),
    )
    assert [(d["eventId"], d["status"], d["attempt"], d["responseStatus"]) for d in log] == [
        (event["id"], "succeeded", 1, 200) for event in reversed(expected)
    ]


def test_a_tampered_body_or_a_wrong_secret_does_not_verify(
    tenant: TenantFixture, receiver: Receiver
) -> None:
    webhook, path = create(tenant.client, receiver)
    block(tenant.client, "tamper-me")
    [item] = receiver.wait_for(path, 1)
    Webhook(webhook["secret"]).verify(item.body, item.headers)
    tampered = item.body.replace(b"tamper-me", b"tamper-you")
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook["secret"]).verify(tampered, item.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"k" * 32).decode()).verify(item.body, item.headers)


def test_after_a_rotation_both_secrets_verify(tenant: TenantFixture, receiver: Receiver) -> None:
    client = tenant.client
    webhook, path = create(client, receiver)
    old = webhook["secret"]
    new = client.post(f"/webhooks/{webhook['id']}/rotate-secret").json()["secret"]
    receiver.verify_with(path, old, new)
    block(client, "after-rotation")
    [item] = receiver.wait_for(path, 1)
    assert item.verified_with == [True, True]  # each secret alone verifies it
    assert len(item.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(item.body, item.headers)
    Webhook(new).verify(item.body, item.headers)


def test_an_endpoint_gets_only_the_types_it_asked_for(
    tenant: TenantFixture, receiver: Receiver
) -> None:
    client = tenant.client
    _webhook, path = create(client, receiver, events=["unblocked"])
    block(client, "typed-one", "typed-two")
    client.request("DELETE", "/blocked-leads", json={"publicIdentifiers": ["typed-two"]})
    [item] = receiver.wait_for(path, 1)
    assert item.payload["type"] == "unblocked"
    assert item.payload["data"]["publicIdentifier"] == "typed-two"


@pytest.mark.parametrize(
    "failure",
    [
        Behaviour(status=500, times=2),
        Behaviour(status=200, delay_s=3, late=True, times=1),  # past the 2 s timeout
        Behaviour(drop=True, times=2),
        Behaviour(status=302, times=1),  # a redirect is a failure: never followed
    ],
    ids=["500", "timeout", "dropped", "redirect"],
)
def test_a_failing_receiver_gets_the_same_event_again_then_the_rest_in_order(
    tenant: TenantFixture, receiver: Receiver, failure: Behaviour
) -> None:
    client = tenant.client
    webhook, path = create(client, receiver)
    receiver.behave(path, failure)
    block(client, "retry-one", "retry-two", "retry-three")
    expected = [event["id"] for event in trail(client)]
    receiver.wait_for(path, 3)
    got = receiver.got(path)
    failed = failure.times or 0
    assert [r.webhook_id for r in got] == [expected[0]] * (failed + 1) + expected[1:]
    assert all(r.verified for r in got)
    assert [r.answered for r in got][failed:] == [200, 200, 200]
    log = eventually(
        lambda: client.get(f"/webhooks/{webhook['id']}/deliveries").json(),
        lambda log: len(log) == failed + 3,
    )
    first = list(reversed(log))[: failed + 1]
    assert [(d["eventId"], d["attempt"], d["status"]) for d in first] == [
        (expected[0], n + 1, "failed") for n in range(failed)
    ] + [(expected[0], failed + 1, "succeeded")]
    for attempt in first[:failed]:
        assert attempt["nextAttemptAt"] is not None
        assert attempt["error"]
    if failure.status == 302:
        assert first[0]["error"] == "HTTP 302: redirects are not followed"
        assert first[0]["responseStatus"] == 302
    endpoint = client.get(f"/webhooks/{webhook['id']}").json()
    assert (endpoint["failingSince"], endpoint["nextAttemptAt"]) == (None, None)


def test_a_disabled_endpoint_resumes_at_its_first_undelivered_event(
    tenant: TenantFixture, receiver: Receiver
) -> None:
    client = tenant.client
    webhook, path = create(client, receiver)
    hook = f"/webhooks/{webhook['id']}"
    block(client, "resume-one")
    receiver.wait_for(path, 1)
    assert client.patch(hook, json={"enabled": False}).json()["enabled"] is False
    block(client, "resume-two", "resume-three")
    # A test event is sent even now; the queue does not move.
    test = client.post(f"{hook}/test").json()
    assert (test["type"], test["status"], test["responseStatus"]) == (
        "webhook.test",
        "succeeded",
        200,
    )
    assert [r.payload["type"] for r in receiver.got(path)] == ["blocked", "webhook.test"]
    assert client.patch(hook, json={"enabled": True}).json()["enabled"] is True
    received = receiver.wait_for(path, 4)
    ids = [event["id"] for event in trail(client)]
    assert [r.webhook_id for r in received if r.payload["type"] == "blocked"] == ids


def test_the_test_event_answers_its_outcome(tenant: TenantFixture, receiver: Receiver) -> None:
    client = tenant.client
    webhook, path = create(client, receiver)
    hook = f"/webhooks/{webhook['id']}"
    ok = client.post(f"{hook}/test")
    assert ok.status_code == 200
    [item] = receiver.got(path)
    assert item.verified
    assert item.payload["type"] == "webhook.test"
    assert item.payload["data"]["webhookId"] == webhook["id"]
    assert ok.json()["eventId"] == item.webhook_id == item.payload["data"]["id"]
    receiver.behave(path, Behaviour(status=503, times=1))
    failed = client.post(f"{hook}/test").json()
    assert (failed["status"], failed["responseStatus"], failed["error"]) == (
        "failed",
        503,
        "HTTP 503",
    )
    log = client.get(f"{hook}/deliveries").json()
    assert [(d["type"], d["status"]) for d in log] == [
        ("webhook.test", "failed"),
        ("webhook.test", "succeeded"),
    ]


def test_the_delivery_log_pages_and_shows_the_pending_retry(
    tenant: TenantFixture, receiver: Receiver
) -> None:
    client = tenant.client
    webhook, path = create(client, receiver)
    hook = f"/webhooks/{webhook['id']}"
    block(client, *(f"paged-{n}" for n in range(5)))
    receiver.wait_for(path, 5)
    eventually(lambda: client.get(f"{hook}/deliveries").json(), lambda log: len(log) == 5)
    first = client.get(f"{hook}/deliveries", params={"limit": 2})
    assert first.headers["X-Total-Count"] == "5"
    pages = [first.json()]
    cursor = first.headers.get("X-Next-Cursor")
    while cursor:
        page = client.get(f"{hook}/deliveries", params={"limit": 2, "cursor": cursor})
        pages.append(page.json())
        cursor = page.headers.get("X-Next-Cursor")
    assert [len(page) for page in pages] == [2, 2, 1]
    flat = [d["eventId"] for page in pages for d in page]
    assert flat == [event["id"] for event in reversed(trail(client))]

    # A receiver that keeps failing: the log's first entry is the attempt to come.
    receiver.behave(path, Behaviour(status=500))
    block(client, "paged-failing")
    log = eventually(
        lambda: client.get(f"{hook}/deliveries").json(),
        lambda log: log[0]["status"] == "pending" and log[0]["attempt"] >= 2,
    )
    pending, last = log[0], log[1]
    assert (last["status"], last["responseStatus"]) == ("failed", 500)
    assert pending["eventId"] == last["eventId"]
    assert pending["attempt"] == last["attempt"] + 1
    assert pending["at"] == last["nextAttemptAt"]
    endpoint = client.get(hook).json()
    assert endpoint["failingSince"] is not None
    client.delete(hook)  # stop the retries


def _lead_id(client: httpx.Client, identifier: str) -> str:
    [lead] = client.get("/blocked-leads", params={"search": identifier}).json()
    return str(lead["id"])


def test_the_body_is_the_events_json_exactly(tenant: TenantFixture, receiver: Receiver) -> None:
    _webhook, path = create(tenant.client, receiver)
    block(tenant.client, "exact-body")
    [item] = receiver.wait_for(path, 1)
    [event] = trail(tenant.client)[-1:]
    assert json.loads(item.body) == {
        "type": "blocked",
        "timestamp": item.payload["timestamp"],
        "data": event,
    }
    assert int(item.headers["webhook-timestamp"]) > 0
