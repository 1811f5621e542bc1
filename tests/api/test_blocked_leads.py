"""The workspace blocklist over HTTP, against a real `leadblock serve` process."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from leadblock.domain.ids import now_ms
from leadblock.services import keys
from leadblock.storage.db import Database
from leadblock.web.docs import PAGE
from tests.conftest import TenantFixture
from tests.server import Server
from tests.shapes import (
    CURSOR,
    RECORD_ID,
    TIMESTAMP,
    block_answer,
    blocked_lead,
    error,
    item,
    request_error,
    shaped,
)


def block(tenant: TenantFixture, *identifiers: str, reason: str | None = None) -> Any:
    leads = [{"publicIdentifier": ident, "reason": reason} for ident in identifiers]
    response = tenant.client.post("/blocked-leads", json={"leads": leads})
    assert response.status_code == 200, response.text
    return response.json()


def record(tenant: TenantFixture, lead: Any, identifier: str, reason: str | None = None) -> Any:
    return blocked_lead(lead, identifier, reason, tenant.workspace_id)


def ms_of(timestamp: str) -> int:
    return round(datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def test_readme_seed_request_is_answered_in_walead_shape(
    server: Server, tenant: TenantFixture
) -> None:
    # The exact curl of the README's first example.
    curl = [
        "curl",
        "-s",
        "-X",
        "POST",
        f"{server.api}/blocked-leads",
        "-H",
        f"x-api-key: {tenant.api_key}",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"leads":[{"publicIdentifier":"john-doe","reason":"Asked not to be contacted"}]}',
    ]
    before = time.time_ns() // 1_000_000
    output = subprocess.run(curl, capture_output=True, check=True).stdout
    after = time.time_ns() // 1_000_000
    body = httpx.Response(200, content=output).json()
    [lead] = body["leads"]
    assert body == block_answer(
        [record(tenant, lead, "john-doe", "Asked not to be contacted")], blocked=1
    )
    assert before <= ms_of(lead["createdAt"]) <= after  # the time of this request, in UTC


def test_block_is_idempotent_and_counts_duplicates(tenant: TenantFixture) -> None:
    first = block(tenant, "john-doe", reason="first")
    [john] = first["leads"]
    second = tenant.client.post(
        "/blocked-leads",
        json={
            "leads": [
                {"publicIdentifier": "https://www.linkedin.com/in/John-Doe/", "reason": "second"},
                {"publicIdentifier": "jane-roe"},
                {"publicIdentifier": "JANE-ROE", "reason": "dup"},
            ]
        },
    ).json()
    assert second == block_answer(
        # The original record, reason included; the first occurrence of a duplicate wins.
        [
            record(tenant, john, "john-doe", "first"),
            record(tenant, second["leads"][1], "jane-roe"),
        ],
        blocked=1,
        already=1,
        duplicates=1,
    )


def test_write_is_all_or_nothing_and_lists_every_bad_entry(tenant: TenantFixture) -> None:
    response = tenant.client.post(
        "/blocked-leads",
        json={
            "leads": [
                {"publicIdentifier": "good-one"},
                {"publicIdentifier": "https://www.linkedin.com/company/acme"},
                {"publicIdentifier": "ok-two"},
                {"publicIdentifier": "x", "reason": "short"},
                {"publicIdentifier": "fine-three", "reason": "r" * 501},
            ]
        },
    )
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_input",
        "3 invalid leads; nothing was written.",
        item(
            1,
            "https://www.linkedin.com/company/acme",
            "publicIdentifier a company page is not a person's profile",
        ),
        item(3, "x", "publicIdentifier is shorter than 3 characters"),
        item(4, "fine-three", "reason is longer than 500 characters"),
    )
    assert tenant.client.get("/blocked-leads").json() == []


def test_wrong_types_are_400_with_index(tenant: TenantFixture) -> None:
    response = tenant.client.post(
        "/blocked-leads",
        json={"leads": [{"publicIdentifier": "fine"}, {"publicIdentifier": 42}, {"reason": "x"}]},
    )
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_input",
        "2 invalid fields in the request.",
        item(1, 42, "leads.publicIdentifier: input should be a valid string."),
        # The offending entry is echoed as JSON text (web/errors.py `echo`).
        item(2, '{"reason": "x"}', "leads.publicIdentifier: field required."),
    )
    assert tenant.client.get("/blocked-leads").json() == []


def test_request_limits(tenant: TenantFixture) -> None:
    too_many = [{"publicIdentifier": f"lead-{i}"} for i in range(10_001)]
    response = tenant.client.post("/blocked-leads", json={"leads": too_many})
    assert response.status_code == 400
    assert response.json() == error("invalid_input", "At most 10,000 leads per request.")
    empty = tenant.client.post("/blocked-leads", json={"leads": []})
    assert empty.status_code == 400
    assert empty.json() == error("invalid_input", "Send at least one lead.")
    exactly = [{"publicIdentifier": f"lead-{i}"} for i in range(10_000)]
    body = tenant.client.post("/blocked-leads", json={"leads": exactly}).json()
    assert body == {
        "success": True,
        "message": "10,000 lead(s) blocked.",
        "blocked": 10_000,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
        "leads": [record(tenant, body["leads"][i], f"lead-{i}") for i in range(10_000)],
    }
    # One write, one timestamp.
    assert {lead["createdAt"] for lead in body["leads"]} == {body["leads"][0]["createdAt"]}


def test_list_sort_offset_search_and_headers(server: Server, tenant: TenantFixture) -> None:
    [alice] = block(tenant, "alice-smith", reason="Client of ACME")["leads"]
    [bob] = block(tenant, "bob-jones", reason="Émile asked")["leads"]
    [carol] = block(tenant, "carol-white")["leads"]
    assert [alice, bob, carol] == [
        record(tenant, alice, "alice-smith", "Client of ACME"),
        record(tenant, bob, "bob-jones", "Émile asked"),
        record(tenant, carol, "carol-white"),
    ]
    newest_first = tenant.client.get("/blocked-leads")
    assert newest_first.json() == [carol, bob, alice]
    assert newest_first.headers["X-Total-Count"] == "3"
    assert "X-Next-Cursor" not in newest_first.headers
    oldest_first = tenant.client.get("/blocked-leads", params={"sort": "ASC"}).json()
    assert oldest_first == [alice, bob, carol]
    offset = tenant.client.get("/blocked-leads", params={"sort": "ASC", "offset": 1, "limit": 1})
    assert offset.json() == [bob]
    assert offset.headers["X-Total-Count"] == "3"
    cursor = shaped(offset.headers["X-Next-Cursor"], CURSOR)
    # The next page continues by cursor alone: the offset is dropped.
    assert offset.headers["Link"] == (
        f'<{server.api}/blocked-leads?sort=ASC&limit=1&cursor={cursor}>; rel="next"'
    )
    by_reason = tenant.client.get("/blocked-leads", params={"search": "acme"})
    assert by_reason.json() == [alice]
    assert by_reason.headers["X-Total-Count"] == "1"
    unicode_case = tenant.client.get("/blocked-leads", params={"search": "ÉMILE"}).json()
    assert unicode_case == [bob]
    by_identifier = tenant.client.get("/blocked-leads", params={"search": "WHITE"}).json()
    assert by_identifier == [carol]
    wildcard = tenant.client.get("/blocked-leads", params={"search": "%"})
    assert wildcard.json() == []
    assert wildcard.headers["X-Total-Count"] == "0"


def test_cursor_walks_every_row_once_in_both_directions(
    server: Server, tenant: TenantFixture
) -> None:
    identifiers = [f"person-{i:03d}" for i in range(25)]
    first = tenant.client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": ident} for ident in identifiers]}
    )
    assert first.status_code == 200
    block(tenant, "late-comer")
    for sort in ("ASC", "DESC"):
        seen: list[str] = []
        params: dict[str, Any] = {"sort": sort, "limit": 7}
        while True:
            response = tenant.client.get("/blocked-leads", params=params)
            assert response.status_code == 200
            assert response.headers["X-Total-Count"] == "26"
            seen += [lead["publicIdentifier"] for lead in response.json()]
            cursor = response.headers.get("X-Next-Cursor")
            if not cursor:
                assert "Link" not in response.headers
                break
            shaped(cursor, CURSOR)
            assert response.headers["Link"] == (
                f'<{server.api}/blocked-leads?sort={sort}&limit=7&cursor={cursor}>; rel="next"'
            )
            params = {"sort": sort, "limit": 7, "cursor": cursor}
        expected = [*identifiers, "late-comer"]
        assert seen == (expected if sort == "ASC" else expected[::-1])


def test_link_header_follows_to_the_next_page(tenant: TenantFixture) -> None:
    first_lead, _second_lead = block(tenant, "first-lead", "second-lead")["leads"]
    response = tenant.client.get("/blocked-leads", params={"limit": 1})
    next_url = response.headers["Link"].split(">")[0].lstrip("<")
    following = httpx.get(next_url, headers={"x-api-key": tenant.api_key})
    assert following.json() == [first_lead]
    assert following.headers["X-Total-Count"] == "2"
    assert "X-Next-Cursor" not in following.headers


CURSOR_PATTERN = "Query parameter cursor: string should match pattern '^[A-Za-z0-9_-]+$'."


@pytest.mark.parametrize(
    ("params", "message", "per_item"),
    [
        (
            {"limit": 1001},
            "Query parameter limit: input should be less than or equal to 1000.",
            True,
        ),
        ({"limit": 0}, "Query parameter limit: input should be greater than or equal to 1.", True),
        (
            {"limit": "ten"},
            "Query parameter limit: input should be a valid integer, unable to parse string as "
            "an integer.",
            True,
        ),
        (
            {"offset": -1},
            "Query parameter offset: input should be greater than or equal to 0.",
            True,
        ),
        # pydantic says 'ASC' or 'DESC'; web/errors.py lower-cases the whole message (both are
        # accepted, so it stays true).
        ({"sort": "sideways"}, "Query parameter sort: input should be 'ASC' or 'DESC'.", True),
        (
            {"cursor": "not-a-cursor"},
            "Invalid cursor: cursor is not one this service issued.",
            False,
        ),
        ({"cursor": "%%%"}, CURSOR_PATTERN, True),
    ],
    ids=["limit-1001", "limit-0", "limit-ten", "offset-minus-1", "sort", "cursor", "cursor-%"],
)
def test_bad_list_parameters_are_400(
    tenant: TenantFixture, params: dict[str, Any], message: str, per_item: bool
) -> None:
    response = tenant.client.get("/blocked-leads", params=params)
    assert response.status_code == 400
    expected = request_error(message) if per_item else error("invalid_input", message)
    assert response.json() == expected


def test_a_cursor_goes_with_its_own_order_and_without_offset(tenant: TenantFixture) -> None:
    block(tenant, "aaa-lead", "bbb-lead")
    cursor = tenant.client.get("/blocked-leads", params={"limit": 1}).headers["X-Next-Cursor"]
    other_order = tenant.client.get("/blocked-leads", params={"cursor": cursor, "sort": "ASC"})
    assert other_order.status_code == 400
    assert other_order.json() == error(
        "invalid_input", "Invalid cursor: cursor was issued for the other sort order."
    )
    both = tenant.client.get("/blocked-leads", params={"cursor": cursor, "offset": 1})
    assert both.status_code == 400
    assert both.json() == error("invalid_input", "Use either cursor or offset, not both.")


NOT_FOUND = error("not_found", "Blocked lead not found.")


def test_get_patch_delete_one(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe", reason="old")["leads"]
    assert tenant.client.get(f"/blocked-leads/{lead['id']}").json() == lead
    patched = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "  new  "})
    assert patched.status_code == 200
    assert patched.json() == {**lead, "reason": "new"}
    cleared = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": ""})
    assert cleared.status_code == 200
    assert cleared.json() == {**lead, "reason": None}
    bad = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "a\x00b"})
    assert bad.status_code == 400  # its whole body: test_a_bad_reason_names_the_character
    assert tenant.client.get(f"/blocked-leads/{lead['id']}").json() == {**lead, "reason": None}
    deleted = tenant.client.delete(f"/blocked-leads/{lead['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True, "message": "Lead unblocked."}
    for answer in (
        tenant.client.get(f"/blocked-leads/{lead['id']}"),
        tenant.client.delete(f"/blocked-leads/{lead['id']}"),
        tenant.client.get("/blocked-leads/no-such-id"),
    ):
        assert answer.status_code == 404
        assert answer.json() == NOT_FOUND


def test_a_bad_reason_names_the_character(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe")["leads"]
    bad = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "a\x00b"})
    assert bad.status_code == 400
    assert bad.json() == error("invalid_input", "Reason contains a control character (U+0000).")


def test_bulk_delete_by_ids_and_identifiers(tenant: TenantFixture) -> None:
    leads = block(tenant, "lead-one", "lead-two", "lead-three", "lead-four")["leads"]
    walead = tenant.client.request(
        "DELETE", "/blocked-leads", json=[leads[0]["id"], "missing-id", leads[0]["id"]]
    ).json()
    assert walead == {
        "success": True,
        "message": "1 lead(s) unblocked.",
        "unblocked": 1,
        "notFound": ["missing-id"],
    }
    extended = tenant.client.request(
        "DELETE",
        "/blocked-leads",
        json={
            "ids": [leads[1]["id"]],
            "publicIdentifiers": ["https://linkedin.com/in/LEAD-THREE", "never-blocked"],
        },
    ).json()
    assert extended == {
        "success": True,
        "message": "2 lead(s) unblocked.",
        "unblocked": 2,
        "notFound": ["never-blocked"],
    }
    invalid = tenant.client.request(
        "DELETE", "/blocked-leads", json={"publicIdentifiers": ["lead-four", "@bad"]}
    )
    assert invalid.status_code == 400
    assert invalid.json() == error(
        "invalid_input",
        "1 invalid identifier; nothing was written.",
        item(
            1, "@bad", "publicIdentifier is a handle; send the bare public identifier without '@'"
        ),
    )
    assert tenant.client.get("/blocked-leads").json() == [leads[3]]
    wrong_type = tenant.client.request("DELETE", "/blocked-leads", json={"ids": [1]})
    assert wrong_type.status_code == 400
    # The body matches neither shape; pydantic reports against both (the array, the object).
    assert wrong_type.json() == error(
        "invalid_input",
        "2 invalid fields in the request.",
        item(-1, None, "body: input should be a valid list."),
        item(0, 1, "ids: input should be a valid string."),
    )
    assert tenant.client.get("/blocked-leads").json() == [leads[3]]


def test_check_post_and_get(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe", reason="client")["leads"]
    body = tenant.client.post(
        "/blocked-leads/check",
        json={"publicIdentifiers": ["https://www.linkedin.com/in/JOHN-DOE", "jane-roe", "/in/x"]},
    ).json()
    john = {
        "input": "https://www.linkedin.com/in/JOHN-DOE",
        "publicIdentifier": "john-doe",
        "blocked": True,
        "scope": "workspace",
        "reason": "client",
        "blockedAt": lead["createdAt"],
        "expiresAt": None,
        "contactable": False,
    }
    assert body == {
        "success": True,
        "results": [
            john,
            {
                "input": "jane-roe",
                "publicIdentifier": "jane-roe",
                "blocked": False,
                "scope": None,
                "reason": None,
                "blockedAt": None,
                "expiresAt": None,
                "contactable": True,
            },
            {
                "input": "/in/x",
                "publicIdentifier": None,
                "blocked": None,
                "scope": None,
                "reason": None,
                "blockedAt": None,
                "expiresAt": None,
                # Could not be judged: never contactable.
                "contactable": False,
                "error": "publicIdentifier looks like a path; send a full linkedin.com/in/… URL "
                "or the bare identifier",
            },
        ],
    }
    one = tenant.client.get("/blocked-leads/check", params={"publicIdentifier": "John-Doe"}).json()
    assert one == {"success": True, "results": [{**john, "input": "John-Doe"}]}
    missing = tenant.client.get("/blocked-leads/check")
    assert missing.status_code == 400
    assert missing.json() == request_error("Query parameter publicIdentifier: field required.")
    unknown_campaign = tenant.client.post(
        "/blocked-leads/check", json={"publicIdentifiers": ["john-doe"], "campaignId": "nope"}
    )
    assert unknown_campaign.status_code == 404
    assert unknown_campaign.json() == error("not_found", "Campaign not found.")
    too_many = tenant.client.post(
        "/blocked-leads/check", json={"publicIdentifiers": ["john-doe"] * 10_001}
    )
    assert too_many.status_code == 400
    assert too_many.json() == error("invalid_input", "At most 10,000 identifiers per request.")


def test_events_record_every_change_with_key_id(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe", reason="first")["leads"]
    tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "second"})
    tenant.client.delete(f"/blocked-leads/{lead['id']}")
    response = tenant.client.get("/blocked-leads/events")
    events = response.json()
    assert response.headers["X-Total-Count"] == "3"
    assert "X-Next-Cursor" not in response.headers
    key_id = tenant.api_key.split("_")[1]

    def event(index: int, kind: str, reason: str) -> dict[str, Any]:
        return {
            "id": shaped(events[index]["id"], RECORD_ID),
            "type": kind,
            "at": shaped(events[index]["at"], TIMESTAMP),
            "keyId": key_id,
            "publicIdentifier": "john-doe",
            "linkedinCompany": None,
            "domain": None,
            "reason": reason,
            "expiresAt": None,
            "scope": "workspace",
            "campaignId": None,
        }

    assert events == [
        event(0, "unblocked", "second"),
        event(1, "reason_changed", "second"),
        event(2, "blocked", "first"),
    ]
    assert events[2]["at"] == lead["createdAt"]  # the block and its event are one write
    assert events[2]["at"] <= events[1]["at"] <= events[0]["at"]
    assert tenant.api_key not in response.text
    only_blocks = tenant.client.get("/blocked-leads/events", params={"type": "blocked"})
    assert only_blocks.json() == [events[2]]
    assert only_blocks.headers["X-Total-Count"] == "1"
    paged = tenant.client.get("/blocked-leads/events", params={"limit": 2})
    assert paged.json() == events[:2]
    rest = tenant.client.get(
        "/blocked-leads/events", params={"limit": 2, "cursor": paged.headers["X-Next-Cursor"]}
    )
    assert rest.json() == events[2:]
    assert "X-Next-Cursor" not in rest.headers
    bad_type = tenant.client.get("/blocked-leads/events", params={"type": "x"})
    assert bad_type.status_code == 400
    assert bad_type.json() == request_error(
        "Query parameter type: input should be 'blocked', 'unblocked', 'reason_changed', "
        "'expiry_changed' or 'expired'."
    )


def test_export_neutralises_formulas_and_round_trips_through_import(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    leads = block_many(
        tenant,
        ("-minus-start", '=HYPERLINK("x")'),
        ("plain-lead", 'said, "no"\nsecond line'),
        ("quote-lead", "'quoted"),
        ("at-lead", "@SUM(1)"),
        ("josé-garcía", "+33 6 12"),
        ("no-reason-lead", None),
        ("tab-lead", "a\tb, then 'c'"),
    )
    export = tenant.client.get("/blocked-leads/export")
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"] == 'attachment; filename="blocked-leads.csv"'
    cells = [
        '\'-minus-start,"\'=HYPERLINK(""x"")"',
        'plain-lead,"said, ""no""\nsecond line"',
        "quote-lead,''quoted",
        "at-lead,'@SUM(1)",
        "josé-garcía,'+33 6 12",
        "no-reason-lead,",
        "tab-lead,\"a\tb, then 'c'\"",
    ]
    assert export.text == "publicIdentifier,reason,createdAt,id,expiresAt\r\n" + "".join(
        f"{row},{lead['createdAt']},{lead['id']},\r\n"
        for row, lead in zip(cells, leads, strict=True)
    )
    imported = other_tenant.client.post(
        "/blocked-leads/import", content=export.content, headers={"content-type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "success": True,
        "message": "7 lead(s) blocked from 7 row(s).",
        "rows": 7,
        "blocked": 7,
        "alreadyBlocked": 0,
        "extended": 0,
        "duplicates": 0,
    }
    original = [
        (lead["publicIdentifier"], lead["reason"])
        for lead in tenant.client.get("/blocked-leads").json()
    ]
    copied = [
        (lead["publicIdentifier"], lead["reason"])
        for lead in other_tenant.client.get("/blocked-leads").json()
    ]
    assert original == [(lead["publicIdentifier"], lead["reason"]) for lead in leads][::-1]
    # The leads of one import share one instant and are listed in identifier order (the order
    # they are written in); the content round-trips exactly.
    assert copied == sorted(original, reverse=True)


def block_many(tenant: TenantFixture, *leads: tuple[str, str | None]) -> list[Any]:
    """Block (identifier, reason) pairs in one request; their records, checked, in order."""
    body = {"leads": [{"publicIdentifier": ident, "reason": reason} for ident, reason in leads]}
    response = tenant.client.post("/blocked-leads", json=body)
    assert response.status_code == 200, response.text
    records = response.json()["leads"]
    assert records == [
        record(tenant, lead, ident, reason)
        for lead, (ident, reason) in zip(records, leads, strict=True)
    ]
    return list(records)


def test_import_accepts_urls_bom_and_counts(tenant: TenantFixture) -> None:
    block(tenant, "already-here")
    csv = (
        "\ufeffpublicIdentifier,reason\r\n"
        "https://www.linkedin.com/in/Url-Lead/,from crm\r\n"
        "already-here,\r\n"
        "url-lead,dup\r\n"
        "\r\n"
        "bare-lead\r\n"
    ).encode()
    body = tenant.client.post("/blocked-leads/import", content=csv).json()
    assert body == {
        "success": True,
        "message": "2 lead(s) blocked from 4 row(s).",
        "rows": 4,
        "blocked": 2,
        "alreadyBlocked": 1,
        "extended": 0,
        "duplicates": 1,
    }
    listed = tenant.client.get("/blocked-leads", params={"sort": "ASC"}).json()
    # One import's leads are listed in identifier order.
    assert listed == [
        record(tenant, listed[0], "already-here"),
        record(tenant, listed[1], "bare-lead"),
        record(tenant, listed[2], "url-lead", "from crm"),
    ]
    check = tenant.client.get("/blocked-leads/check", params={"publicIdentifier": "url-lead"})
    assert check.json() == {
        "success": True,
        "results": [
            {
                "input": "url-lead",
                "publicIdentifier": "url-lead",
                "blocked": True,
                "scope": "workspace",
                "reason": "from crm",
                "blockedAt": listed[2]["createdAt"],
                "expiresAt": None,
                "contactable": False,
            }
        ],
    }


def test_import_is_all_or_nothing_with_row_errors(tenant: TenantFixture) -> None:
    csv = b"publicIdentifier,reason\ngood-lead,\nhttps://www.linkedin.com/school/x,\nab,\n"
    response = tenant.client.post("/blocked-leads/import", content=csv)
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_input",
        "2 invalid rows; nothing was written.",
        item(
            1,
            "https://www.linkedin.com/school/x",
            "line 3: publicIdentifier a school page is not a person's profile",
        ),
        item(2, "ab", "line 4: publicIdentifier is shorter than 3 characters"),
    )
    assert tenant.client.get("/blocked-leads").json() == []


NO_IDENTIFIER_COLUMN = (
    "The CSV header has no publicIdentifier column "
    "(a header row is required and columns are separated by commas)."
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The CSV file is empty; expected a header row with publicIdentifier."),
        (b"publicIdentifier;reason\njohn-doe;x\n", NO_IDENTIFIER_COLUMN),
        (b"name,reason\njohn,x\n", NO_IDENTIFIER_COLUMN),
        (b"publicIdentifier\n\xff\xfe\n", "The CSV file is not valid UTF-8 (line 2)."),
        # Far into the file: the line of the byte, not of the parser (which decodes ahead).
        (
            b"publicIdentifier\n"
            + b"".join(b"lead-%d\n" % n for n in range(60_000))
            + b"bad-\xe9\n",
            "The CSV file is not valid UTF-8 (line 60,002).",
        ),
        (b"publicIdentifier\n", "The CSV file has no data rows."),
        (
            b'publicIdentifier\n"unterminated\n',
            "The CSV file is malformed at line 2: unexpected end of data.",
        ),
    ],
    ids=[
        "empty",
        "semicolons",
        "no-column",
        "not-utf-8",
        "not-utf-8-far",
        "no-rows",
        "unterminated",
    ],
)
def test_import_rejects_malformed_files(
    tenant: TenantFixture, content: bytes, message: str
) -> None:
    response = tenant.client.post("/blocked-leads/import", content=content)
    assert response.status_code == 400, content
    assert response.json() == error("invalid_input", message)
    assert tenant.client.get("/blocked-leads").json() == []


def test_error_envelope_for_framework_errors(server: Server, tenant: TenantFixture) -> None:
    malformed = tenant.client.post(
        "/blocked-leads", content=b'{"leads": [', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json() == error(
        "malformed_json", "The request body is not valid JSON (unexpected end of data)."
    )
    form_encoded = tenant.client.post(
        "/blocked-leads",
        content=b'{"leads":[{"publicIdentifier":"curl-default"}]}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form_encoded.status_code == 200
    [lead] = form_encoded.json()["leads"]
    assert form_encoded.json() == block_answer([record(tenant, lead, "curl-default")], blocked=1)
    no_body = tenant.client.post("/blocked-leads")
    assert no_body.status_code == 400
    assert no_body.json() == request_error("The request body is required.")
    not_object = tenant.client.post("/blocked-leads", json=[1, 2])
    assert not_object.status_code == 400
    assert not_object.json() == request_error(
        "body: input should be a valid dictionary or object to extract fields from."
    )
    unknown = httpx.get(f"{server.url}/api/v1/nowhere", headers={"x-api-key": tenant.api_key})
    assert unknown.status_code == 404
    assert unknown.json() == error("not_found", "Not found.")
    wrong_method = tenant.client.put("/blocked-leads")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == error("method_not_allowed", "Method not allowed on this route.")
    assert wrong_method.headers["Allow"] == "DELETE, GET, HEAD, POST"
    deep = tenant.client.post(
        "/blocked-leads", content=b"[" * 100_000, headers={"content-type": "application/json"}
    )
    assert deep.status_code == 400
    assert deep.json() == error("malformed_json", "The request body is nested too deeply.")
    assert tenant.client.get("/blocked-leads").json() == [lead]


MISSING_KEY = error("unauthenticated", "Missing API key: send it in the x-api-key header.")
INVALID_KEY = error("unauthenticated", "Invalid or revoked API key.")
READ_ONLY = error("forbidden", "This API key is read-only.")


def test_authentication_and_read_only_keys(
    server: Server, tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    missing = httpx.get(f"{server.api}/blocked-leads")
    assert missing.status_code == 401
    assert missing.json() == MISSING_KEY
    forged = tenant.api_key[:-4] + "AAAA"
    for wrong_key in ("lb_nope", forged):
        wrong = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": wrong_key})
        assert wrong.status_code == 401
        assert wrong.json() == INVALID_KEY
    [lead] = block(tenant, "john-doe")["leads"]
    # A single check reads the lead's block with the key's row: the wrong secret of a real key
    # id learns nothing of it, whether the lead is blocked or not.
    for identifier in ("john-doe", "not-blocked"):
        forged_check = httpx.get(
            f"{server.api}/blocked-leads/check",
            params={"publicIdentifier": identifier},
            headers={"x-api-key": forged},
        )
        assert forged_check.status_code == 401
        assert forged_check.json() == INVALID_KEY
    read = read_only_client.get("/blocked-leads")
    assert read.status_code == 200
    assert read.json() == [lead]
    for refused in (
        read_only_client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "x-y-z"}]}),
        read_only_client.request("DELETE", "/blocked-leads", json=[]),
        read_only_client.post("/blocked-leads/import", content=b"publicIdentifier\nabc\n"),
    ):
        assert refused.status_code == 403
        assert refused.json() == READ_ONLY
    assert tenant.client.get("/blocked-leads").json() == [lead]


def test_openapi_and_docs_are_served(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    post = spec["paths"]["/api/v1/blocked-leads"]["post"]
    # No FastAPI 422: every validation failure is a 400 in the envelope; 422 is only an
    # Idempotency-Key used for another request (409: its first request still runs).
    assert set(post["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "408",
        "409",
        "413",
        "422",
        "429",
        "503",
    }
    assert post["responses"]["422"]["description"].startswith("This Idempotency-Key")
    docs = httpx.get(f"{server.url}/docs")
    assert docs.status_code == 200
    assert docs.text == PAGE.format(title="leadblock", openapi_url="/openapi.json")


def test_total_count_follows_every_change(tenant: TenantFixture) -> None:
    """X-Total-Count comes from a running count; it must match the rows after every kind of
    write: new and repeated blocks, unblock by id and by identifier, a failed request, import."""

    def total() -> int:
        return int(tenant.client.get("/blocked-leads").headers["X-Total-Count"])

    def rows() -> int:
        return len(tenant.client.get("/blocked-leads", params={"limit": 1000}).json())

    created = block(tenant, "count-a", "count-b", "count-c", "count-a")
    assert created == block_answer(
        [
            record(tenant, created["leads"][0], "count-a"),
            record(tenant, created["leads"][1], "count-b"),
            record(tenant, created["leads"][2], "count-c"),
        ],
        blocked=3,
        duplicates=1,
    )
    assert total() == rows() == 3
    again = block(tenant, "count-a", "count-d")
    assert again == block_answer(
        [created["leads"][0], record(tenant, again["leads"][1], "count-d")], blocked=1, already=1
    )
    assert total() == rows() == 4
    bad = tenant.client.post(
        "/blocked-leads",
        json={"leads": [{"publicIdentifier": "count-e"}, {"publicIdentifier": ""}]},
    )
    assert bad.status_code == 400
    assert bad.json() == error(
        "invalid_input",
        "1 invalid lead; nothing was written.",
        item(1, "", "publicIdentifier is empty"),
    )
    assert total() == rows() == 4
    first_id = created["leads"][0]["id"]
    by_id = tenant.client.request(
        "DELETE", "/blocked-leads", json=[first_id, first_id, "no-such-id"]
    )
    assert by_id.json() == {
        "success": True,
        "message": "1 lead(s) unblocked.",
        "unblocked": 1,
        "notFound": ["no-such-id"],
    }
    assert total() == rows() == 3
    by_identifier = tenant.client.request(
        "DELETE", "/blocked-leads", json={"publicIdentifiers": ["count-b", "count-zzz"]}
    )
    assert by_identifier.json() == {
        "success": True,
        "message": "1 lead(s) unblocked.",
        "unblocked": 1,
        "notFound": ["count-zzz"],
    }
    assert total() == rows() == 2
    csv = "publicIdentifier\ncount-f\ncount-c\ncount-g\n"
    imported = tenant.client.post(
        "/blocked-leads/import", content=csv, headers={"content-type": "text/csv"}
    )
    assert imported.json() == {
        "success": True,
        "message": "2 lead(s) blocked from 3 row(s).",
        "rows": 3,
        "blocked": 2,
        "alreadyBlocked": 1,
        "extended": 0,
        "duplicates": 0,
    }
    assert total() == rows() == 4


def test_a_keys_last_use_is_recorded(tenant: TenantFixture, database: Database) -> None:
    started = now_ms()
    assert tenant.client.get("/blocked-leads").status_code == 200
    # Recorded after the answer (SQLite: queued to the group commit), within moments.
    deadline = time.monotonic() + 10
    while True:
        with database.transaction() as tx:
            [key] = keys.list_keys(tx, tenant.workspace_id)
        if key.last_used_at is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert key.last_used_at is not None
    assert started <= key.last_used_at <= now_ms()
