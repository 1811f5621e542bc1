"""Hostile input: every answer is a clear 4xx in the SPEC envelope (never a 500), stored text
comes back byte for byte, and the server stays responsive for everyone else."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from tests.conftest import TenantFixture
from tests.server import Server, running_server
from tests.shapes import RECORD_ID, TIMESTAMP, error, item, request_error, shaped

INJECTIONS = (
    "'; DROP TABLE blocked_leads; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/a}",
    "%' OR '1'='1",
    "\\x00\\'; SELECT pg_sleep(10); --",
)


def assert_envelope(response: httpx.Response, status: int, body: dict[str, Any]) -> None:
    assert response.status_code == status, response.text
    assert response.json() == body


TOO_DEEP = error("malformed_json", "The request body is nested too deeply.")


def why_invalid(identifier: str) -> str:
    """What the canonicaliser (tests/domain/test_identifiers.py) says of an invalid identifier."""
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(identifier)
    return str(raised.value)


def test_deep_wide_and_huge_json_is_400(tenant: TenantFixture) -> None:
    nested_objects = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    assert_envelope(tenant.client.post("/blocked-leads", content=nested_objects), 400, TOO_DEEP)
    nested_in_leads = b'{"leads":[' + b"[" * 50_000 + b"]" * 50_000 + b"]}"
    assert_envelope(tenant.client.post("/blocked-leads", content=nested_in_leads), 400, TOO_DEEP)
    million_keys = b"{" + b",".join(b'"k%d":0' % i for i in range(1_000_000)) + b"}"
    assert len(million_keys) < 16 * 1024 * 1024
    assert_envelope(
        tenant.client.post("/blocked-leads", content=million_keys),
        400,
        request_error("leads: field required."),
    )
    huge_string = b'{"leads":[{"publicIdentifier":"' + b"a" * 15_000_000 + b'"}]}'
    huge = tenant.client.post("/blocked-leads", content=huge_string)
    # The answer echoes the first 200 characters of the 15 MB value, not all of it.
    assert_envelope(
        huge,
        400,
        error(
            "invalid_input",
            "1 invalid lead; nothing was written.",
            item(0, "a" * 200 + "…", "publicIdentifier is too long (more than 2,048 characters)"),
        ),
    )
    assert tenant.client.get("/blocked-leads").json() == []


def test_invalid_utf8_and_nul_bytes_are_400(tenant: TenantFixture) -> None:
    invalid_utf8 = b'{"leads":[{"publicIdentifier":"jo\xff\xfehn"}]}'
    assert_envelope(
        tenant.client.post("/blocked-leads", content=invalid_utf8),
        400,
        # The words after the parenthesis are the JSON parser's (orjson).
        error("malformed_json", "The request body is not valid JSON (str is not valid UTF-8)."),
    )
    for lead, value, message in (
        (
            {"publicIdentifier": "john\u0000doe"},
            "john\u0000doe",
            "publicIdentifier contains a character that is not allowed: U+0000",
        ),
        (
            {"publicIdentifier": "john-doe", "reason": "before\u0000after"},
            "john-doe",
            "reason contains a control character (U+0000)",
        ),
    ):
        response = tenant.client.post("/blocked-leads", json={"leads": [lead]})
        assert_envelope(
            response,
            400,
            error("invalid_input", "1 invalid lead; nothing was written.", item(0, value, message)),
        )
    check = tenant.client.get("/blocked-leads/check", params={"publicIdentifier": "a\u0000b"})
    assert check.status_code == 200
    assert check.json() == {
        "success": True,
        "results": [
            {
                "input": "a\u0000b",
                "publicIdentifier": None,
                "blocked": None,
                "scope": None,
                "reason": None,
                "blockedAt": None,
                "expiresAt": None,
                "contactable": False,
                "error": "publicIdentifier contains a character that is not allowed: U+0000",
            }
        ],
    }
    # PostgreSQL text cannot hold NUL: the query parameter's pattern refuses it on both backends.
    assert_envelope(
        tenant.client.get("/blocked-leads", params={"search": "a\u0000b"}),
        400,
        request_error("Query parameter search: string should match pattern '^[^\\x00]*$'."),
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
    [lead] = blocked.json()["leads"]
    assert lead["reason"] == text.strip()
    assert tenant.client.get(f"/blocked-leads/{lead['id']}").json() == lead
    found = tenant.client.get("/blocked-leads", params={"search": text})
    assert found.json() == [lead]
    literal_percent = tenant.client.get("/blocked-leads", params={"search": "%"}).json()
    assert literal_percent == ([lead] if "%" in text else [])
    patched = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": text + "!"})
    assert patched.status_code == 200
    assert patched.json() == {**lead, "reason": text.strip() + "!"}

    campaign = tenant.client.post("/campaigns", json={"name": text})
    assert campaign.status_code == 200
    campaign_id = shaped(campaign.json()["id"], RECORD_ID)
    stored = {
        "id": campaign_id,
        "name": text.strip(),
        "createdAt": shaped(campaign.json()["createdAt"], TIMESTAMP),
    }
    assert campaign.json() == {"success": True, "message": "Campaign created.", **stored}
    assert tenant.client.get(f"/campaigns/{campaign_id}").json() == stored
    campaign_block = tenant.client.post(
        f"/campaigns/{campaign_id}/blocked-leads",
        json={"publicIdentifiers": ["other-lead"], "reason": text},
    )
    assert campaign_block.status_code == 200
    assert campaign_block.json() == {
        "success": True,
        "message": "1 lead(s) blocked for this campaign.",
        "blocked": 1,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
    }
    contact = {"firstName": text, "lastName": text, "companyName": text}
    enrolled = tenant.client.post(
        f"/campaigns/{campaign_id}/leads",
        json={"leads": [{"publicIdentifier": "third-lead", **contact}]},
    )
    assert enrolled.status_code == 200
    assert enrolled.json() == {
        "success": True,
        "message": "1 lead(s) added to the campaign.",
        "added": 1,
        "alreadyInCampaign": 0,
        "blocked": 0,
        "duplicates": 0,
    }
    [enrolled_lead] = tenant.client.get(f"/campaigns/{campaign_id}/leads").json()
    assert enrolled_lead == {
        "id": shaped(enrolled_lead["id"], RECORD_ID),
        "publicIdentifier": "third-lead",
        "firstName": text.strip(),
        "lastName": text.strip(),
        "companyName": text.strip(),
        "email": None,
        "companyLinkedIn": None,
        "companyDomain": None,
        "status": "pending",
        "blocked": None,
        "createdAt": shaped(enrolled_lead["createdAt"], TIMESTAMP),
        "claimId": None,
        "leaseExpiresAt": None,
    }

    # As identifiers, ids and cursors the same strings are refused or not found, never a 500.
    why = why_invalid(text)
    assert_envelope(
        tenant.client.post("/blocked-leads", json={"leads": [{"publicIdentifier": text}]}),
        400,
        error(
            "invalid_input",
            "1 invalid lead; nothing was written.",
            item(0, text, f"publicIdentifier {why}"),
        ),
    )
    # With a slash inside, the path is no route at all; without, no lead of this workspace.
    assert_envelope(
        tenant.client.get("/blocked-leads/" + httpx.URL(text).path),
        404,
        error("not_found", "Not found." if "/" in text else "Blocked lead not found."),
    )
    # Refused as any cursor this service cannot have issued is (the one of test_blocked_leads).
    not_a_cursor = tenant.client.get("/blocked-leads", params={"cursor": "%%%"}).json()
    assert_envelope(tenant.client.get("/blocked-leads", params={"cursor": text}), 400, not_a_cursor)
    assert_envelope(
        tenant.client.get(f"/campaigns/{text.replace('/', '')}"),
        404,
        error("not_found", "Campaign not found."),
    )
    assert_envelope(
        tenant.client.get("/blocked-leads/events", params={"publicIdentifier": text}),
        400,
        error("invalid_input", f"publicIdentifier {why}."),
    )
    assert tenant.client.get("/blocked-leads").headers["X-Total-Count"] == "1"


def send_oversized_headers(server: Server, api_key: str) -> bytes:
    """A request with a valid key and a 1 MB header; the start of the answer (b"" if the
    connection was closed instead)."""
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=10) as connection:
        request = (
            b"GET /api/v1/blocked-leads HTTP/1.1\r\nHost: x\r\n"
            + f"x-api-key: {api_key}\r\n".encode()
            + b"X-Big: "
            + b"a" * 1_000_000
            + b"\r\n\r\n"
        )
        try:
            connection.sendall(request)
            return connection.recv(200)
        except OSError:  # refused by closing the connection
            return b""


def test_the_server_stays_up_after_oversized_headers(server: Server, tenant: TenantFixture) -> None:
    send_oversized_headers(server, tenant.api_key)
    assert httpx.get(f"{server.url}/openapi.json").status_code == 200
    assert tenant.client.get("/blocked-leads").json() == []


def test_oversized_headers_are_refused(server: Server, tenant: TenantFixture) -> None:
    answer = send_oversized_headers(server, tenant.api_key)
    # Refused before the headers are read whole: 431 (Request Header Fields Too Large).
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer


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
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0] == b"HTTP/1.1 408 Request Timeout", answer
        assert json.loads(body) == error(
            "request_timeout", "The request body did not arrive within 2 s."
        )
        # Nothing of the slow request was written.
        listed = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": tenant.api_key})
        assert "slow-lead" not in listed.text


def test_csv_files_with_hostile_content(tenant: TenantFixture) -> None:
    for content, body in (
        (
            b"publicIdentifier\tjohn\njohn-doe\tx\n",
            error(
                "invalid_input",
                "The CSV header has no publicIdentifier column "
                "(a header row is required and columns are separated by commas).",
            ),
        ),
        (
            "publicIdentifier\njohn-doe\n".encode("utf-16"),
            error("invalid_input", "The CSV file is not valid UTF-8 (line 1)."),
        ),
        (
            b"publicIdentifier,reason\njohn-doe,a\x00b\n",
            error(
                "invalid_input",
                "1 invalid row; nothing was written.",
                item(0, "john-doe", "line 2: reason contains a control character (U+0000)"),
            ),
        ),
        (
            b"publicIdentifier\njo\x00hn\n",
            error(
                "invalid_input",
                "1 invalid row; nothing was written.",
                item(
                    0,
                    "jo\x00hn",
                    "line 2: publicIdentifier contains a character that is not allowed: U+0000",
                ),
            ),
        ),
        (
            b"publicIdentifier\n" + b"a" * 2_000_000 + b"\n",
            # Python's csv module refuses a field over its limit (131,072 characters).
            error(
                "invalid_input",
                "The CSV file is malformed at line 2: field larger than field limit (131072).",
            ),
        ),
    ):
        response = tenant.client.post(
            "/blocked-leads/import", content=content, headers={"content-type": "text/csv"}
        )
        assert_envelope(response, 400, body)
    assert tenant.client.get("/blocked-leads").json() == []
