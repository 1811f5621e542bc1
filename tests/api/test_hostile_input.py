"""Hostile input: every answer is a clear 4xx in the SPEC envelope (never a 500), stored text
comes back byte for byte, and the server stays responsive for everyone else."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TenantFixture
from tests.server import Server, running_server

INJECTIONS = (
    "'; DROP TABLE blocked_leads; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/a}",
    "%' OR '1'='1",
    "\\x00\\'; SELECT pg_sleep(10); --",
)


def assert_envelope(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["success"] is False
    assert response.json()["message"]


def test_deep_wide_and_huge_json_is_400(tenant: TenantFixture) -> None:
    nested_objects = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    assert_envelope(tenant.client.post("/blocked-leads", content=nested_objects), 400)
    nested_in_leads = b'{"leads":[' + b"[" * 50_000 + b"]" * 50_000 + b"]}"
    assert_envelope(tenant.client.post("/blocked-leads", content=nested_in_leads), 400)
    million_keys = b"{" + b",".join(b'"k%d":0' % i for i in range(1_000_000)) + b"}"
    assert len(million_keys) < 16 * 1024 * 1024
    assert_envelope(tenant.client.post("/blocked-leads", content=million_keys), 400)
    huge_string = b'{"leads":[{"publicIdentifier":"' + b"a" * 15_000_000 + b'"}]}'
    huge = tenant.client.post("/blocked-leads", content=huge_string)
    assert_envelope(huge, 400)
    assert huge.json()["errors"][0]["index"] == 0
    assert len(huge.content) < 10_000  # the answer does not echo the 15 MB value back in full
    assert tenant.client.get("/blocked-leads").status_code == 200


def test_invalid_utf8_and_nul_bytes_are_400(tenant: TenantFixture) -> None:
    invalid_utf8 = b'{"leads":[{"publicIdentifier":"jo\xff\xfehn"}]}'
    assert_envelope(tenant.client.post("/blocked-leads", content=invalid_utf8), 400)
    for lead in (
        {"publicIdentifier": "john\u0000doe"},
        {"publicIdentifier": "john-doe", "reason": "before\u0000after"},
    ):
        response = tenant.client.post("/blocked-leads", json={"leads": [lead]})
        assert_envelope(response, 400)
        assert response.json()["errors"][0]["index"] == 0
    check = tenant.client.get("/blocked-leads/check", params={"publicIdentifier": "a\u0000b"})
    assert check.status_code == 200
    assert check.json()["results"][0]["blocked"] is None
    assert tenant.client.get("/blocked-leads", params={"search": "a\u0000b"}).status_code in (
        200,
        400,
    )
    assert tenant.client.get("/blocked-leads").json() == []


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_every_string_field_is_stored_as_text(
    tenant: TenantFixture, text: str
) -> None:
    blocked = tenant.client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "victim-lead", "reason": text}]}
    )
    assert blocked.status_code == 200
    lead = blocked.json()["leads"][0]
    assert lead["reason"] == text.strip()
    assert tenant.client.get(f"/blocked-leads/{lead['id']}").json()["reason"] == text.strip()
    found = tenant.client.get("/blocked-leads", params={"search": text})
    assert [row["id"] for row in found.json()] == [lead["id"]]
    literal_percent = tenant.client.get("/blocked-leads", params={"search": "%"}).json()
    assert [row["id"] for row in literal_percent] == ([lead["id"]] if "%" in text else [])
    patched = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": text + "!"})
    assert patched.status_code == 200

    campaign = tenant.client.post("/campaigns", json={"name": text})
    assert campaign.status_code == 200
    campaign_id = campaign.json()["id"]
    assert tenant.client.get(f"/campaigns/{campaign_id}").json()["name"] == text.strip()
    campaign_block = tenant.client.post(
        f"/campaigns/{campaign_id}/blocked-leads",
        json={"publicIdentifiers": ["other-lead"], "reason": text},
    )
    assert campaign_block.status_code == 200
    contact = {"firstName": text, "lastName": text, "companyName": text}
    enrolled = tenant.client.post(
        f"/campaigns/{campaign_id}/leads",
        json={"leads": [{"publicIdentifier": "third-lead", **contact}]},
    )
    assert enrolled.status_code == 200
    listed = tenant.client.get(f"/campaigns/{campaign_id}/leads").json()
    assert listed[0]["firstName"] == text.strip()

    # As identifiers, ids and cursors the same strings are refused or not found, never a 500.
    assert_envelope(
        tenant.client.post("/blocked-leads", json={"leads": [{"publicIdentifier": text}]}), 400
    )
    assert_envelope(tenant.client.get("/blocked-leads/" + httpx.URL(text).path), 404)
    assert_envelope(tenant.client.get("/blocked-leads", params={"cursor": text}), 400)
    assert_envelope(tenant.client.get(f"/campaigns/{text.replace('/', '')}"), 404)
    events = tenant.client.get("/blocked-leads/events", params={"publicIdentifier": text})
    assert events.status_code in (200, 400)
    assert tenant.client.get("/blocked-leads").headers["X-Total-Count"] == "1"


def test_oversized_headers_are_refused_and_the_server_stays_up(server: Server) -> None:
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=10) as connection:
        request = (
            b"GET /api/v1/blocked-leads HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"a" * 1_000_000
            + b"\r\n\r\n"
        )
        try:
            connection.sendall(request)
            answer = connection.recv(200)
        except OSError:  # refused by closing the connection: also fine
            answer = b""
    assert not answer.startswith(b"HTTP/1.1 2"), answer
    assert not answer.startswith(b"HTTP/1.1 5"), answer
    assert httpx.get(f"{server.url}/openapi.json").status_code == 200


def test_a_client_sending_one_byte_a_second_is_timed_out(
    database_url: str, tmp_path: Path, tenant: TenantFixture
) -> None:
    with running_server(
        database_url, tmp_path / "server.log", LEADBLOCK_BODY_TIMEOUT_S="2"
    ) as server:
        port = int(server.url.rsplit(":", 1)[1])
        body = b'{"leads":[{"publicIdentifier":"slow-lead"}]}'
        head = (
            f"POST /api/v1/blocked-leads HTTP/1.1\r\nHost: x\r\nx-api-key: {tenant.api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as slow:
            slow.sendall(head)
            started = time.monotonic()
            answer = b""
            for byte in body:
                try:
                    slow.sendall(bytes([byte]))
                except OSError:
                    break
                # Everyone else is served while the slow client trickles.
                check = httpx.get(
                    f"{server.api}/blocked-leads/check",
                    params={"publicIdentifier": "someone"},
                    headers={"x-api-key": tenant.api_key},
                )
                assert check.status_code == 200
                slow.settimeout(1)
                try:
                    answer = slow.recv(1000)
                except TimeoutError:
                    continue
                if answer:
                    break
            assert time.monotonic() - started < 15
            while b'"success"' not in answer:  # the body may come in a packet of its own
                more = slow.recv(1000)
                if not more:
                    break
                answer += more
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"success":false' in answer
        # Nothing of the slow request was written.
        listed = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": tenant.api_key})
        assert "slow-lead" not in listed.text


def test_csv_files_with_hostile_content(tenant: TenantFixture) -> None:
    for content, why in (
        (b"publicIdentifier\tjohn\njohn-doe\tx\n", "publicIdentifier column"),
        ("publicIdentifier\njohn-doe\n".encode("utf-16"), "UTF-8"),
        (b"publicIdentifier,reason\njohn-doe,a\x00b\n", "row"),
        (b"publicIdentifier\njo\x00hn\n", "row"),
        (b"publicIdentifier\n" + b"a" * 2_000_000 + b"\n", "field limit"),
    ):
        response = tenant.client.post(
            "/blocked-leads/import", content=content, headers={"content-type": "text/csv"}
        )
        assert_envelope(response, 400)
        assert why in response.json()["message"], (content[:40], response.json())
    assert tenant.client.get("/blocked-leads").json() == []
