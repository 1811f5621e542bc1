"""The workspace blocklist over HTTP, against a real `leadblock serve` process."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx

from tests.conftest import TenantFixture
from tests.server import Server


def block(tenant: TenantFixture, *identifiers: str, reason: str | None = None) -> Any:
    leads = [{"publicIdentifier": ident, "reason": reason} for ident in identifiers]
    response = tenant.client.post("/blocked-leads", json={"leads": leads})
    assert response.status_code == 200, response.text
    return response.json()


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
    body = httpx.Response(
        200, content=subprocess.run(curl, capture_output=True, check=True).stdout
    ).json()
    assert body["success"] is True
    assert body["blocked"] == 1
    assert isinstance(body["message"], str)
    assert body["alreadyBlocked"] == 0
    assert body["duplicates"] == 0
    [lead] = body["leads"]
    assert lead["publicIdentifier"] == "john-doe"
    assert lead["reason"] == "Asked not to be contacted"
    assert lead["workspaceId"] == tenant.workspace_id
    assert lead["createdAt"].endswith("Z")


def test_block_is_idempotent_and_counts_duplicates(tenant: TenantFixture) -> None:
    first = block(tenant, "john-doe", reason="first")
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
    assert second["blocked"] == 1
    assert second["alreadyBlocked"] == 1
    assert second["duplicates"] == 1
    john, jane = second["leads"]
    assert john == first["leads"][0]  # the original record, reason included
    assert jane["publicIdentifier"] == "jane-roe"
    assert jane["reason"] is None


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
    body = response.json()
    assert body["success"] is False
    assert [error["index"] for error in body["errors"]] == [1, 3, 4]
    assert "company" in body["errors"][0]["message"]
    assert body["errors"][1]["value"] == "x"
    assert "500" in body["errors"][2]["message"]
    assert tenant.client.get("/blocked-leads").json() == []


def test_wrong_types_are_400_with_index(tenant: TenantFixture) -> None:
    response = tenant.client.post(
        "/blocked-leads",
        json={"leads": [{"publicIdentifier": "fine"}, {"publicIdentifier": 42}, {"reason": "x"}]},
    )
    assert response.status_code == 400
    body = response.json()
    assert {error["index"] for error in body["errors"]} == {1, 2}


def test_request_limits(tenant: TenantFixture) -> None:
    too_many = [{"publicIdentifier": f"lead-{i}"} for i in range(10_001)]
    response = tenant.client.post("/blocked-leads", json={"leads": too_many})
    assert response.status_code == 400
    assert "10,000" in response.json()["message"]
    assert tenant.client.post("/blocked-leads", json={"leads": []}).status_code == 400
    exactly = [{"publicIdentifier": f"lead-{i}"} for i in range(10_000)]
    body = tenant.client.post("/blocked-leads", json={"leads": exactly}).json()
    assert body["blocked"] == 10_000
    assert len(body["leads"]) == 10_000
    assert [lead["publicIdentifier"] for lead in body["leads"][:3]] == [
        "lead-0",
        "lead-1",
        "lead-2",
    ]


def test_list_sort_offset_search_and_headers(tenant: TenantFixture) -> None:
    block(tenant, "alice-smith", reason="Client of ACME")
    block(tenant, "bob-jones", reason="Émile asked")
    block(tenant, "carol-white")
    newest_first = tenant.client.get("/blocked-leads")
    assert newest_first.headers["X-Total-Count"] == "3"
    assert [lead["publicIdentifier"] for lead in newest_first.json()] == [
        "carol-white",
        "bob-jones",
        "alice-smith",
    ]
    oldest_first = tenant.client.get("/blocked-leads", params={"sort": "ASC"}).json()
    assert [lead["publicIdentifier"] for lead in oldest_first] == [
        "alice-smith",
        "bob-jones",
        "carol-white",
    ]
    offset = tenant.client.get("/blocked-leads", params={"sort": "ASC", "offset": 1, "limit": 1})
    assert [lead["publicIdentifier"] for lead in offset.json()] == ["bob-jones"]
    assert "X-Next-Cursor" in offset.headers
    by_reason = tenant.client.get("/blocked-leads", params={"search": "acme"})
    assert [lead["publicIdentifier"] for lead in by_reason.json()] == ["alice-smith"]
    assert by_reason.headers["X-Total-Count"] == "1"
    unicode_case = tenant.client.get("/blocked-leads", params={"search": "ÉMILE"}).json()
    assert [lead["publicIdentifier"] for lead in unicode_case] == ["bob-jones"]
    by_identifier = tenant.client.get("/blocked-leads", params={"search": "WHITE"}).json()
    assert [lead["publicIdentifier"] for lead in by_identifier] == ["carol-white"]
    wildcard = tenant.client.get("/blocked-leads", params={"search": "%"}).json()
    assert wildcard == []


def test_cursor_walks_every_row_once_in_both_directions(tenant: TenantFixture) -> None:
    identifiers = [f"person-{i:03d}" for i in range(25)]
    tenant.client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": ident} for ident in identifiers]}
    )
    block(tenant, "late-comer")
    for sort in ("ASC", "DESC"):
        seen: list[str] = []
        params: dict[str, Any] = {"sort": sort, "limit": 7}
        while True:
            response = tenant.client.get("/blocked-leads", params=params)
            assert response.status_code == 200
            seen += [lead["publicIdentifier"] for lead in response.json()]
            cursor = response.headers.get("X-Next-Cursor")
            if not cursor:
                assert "Link" not in response.headers
                break
            assert 'rel="next"' in response.headers["Link"]
            assert all(c.isalnum() or c in "-_" for c in cursor)
            params = {"sort": sort, "limit": 7, "cursor": cursor}
        expected = [*identifiers, "late-comer"]
        assert seen == (expected if sort == "ASC" else expected[::-1])


def test_link_header_follows_to_the_next_page(tenant: TenantFixture) -> None:
    block(tenant, "first-lead", "second-lead")
    response = tenant.client.get("/blocked-leads", params={"limit": 1})
    next_url = response.headers["Link"].split(">")[0].lstrip("<")
    following = httpx.get(next_url, headers={"x-api-key": tenant.api_key})
    assert [lead["publicIdentifier"] for lead in following.json()] == ["first-lead"]


def test_bad_list_parameters_are_400(tenant: TenantFixture) -> None:
    for params in (
        {"limit": 1001},
        {"limit": 0},
        {"limit": "ten"},
        {"offset": -1},
        {"sort": "sideways"},
        {"cursor": "not-a-cursor"},
        {"cursor": "%%%"},
    ):
        response = tenant.client.get("/blocked-leads", params=params)
        assert response.status_code == 400, params
        assert response.json()["success"] is False
    block(tenant, "aaa-lead", "bbb-lead")
    cursor = tenant.client.get("/blocked-leads", params={"limit": 1}).headers["X-Next-Cursor"]
    other_order = tenant.client.get("/blocked-leads", params={"cursor": cursor, "sort": "ASC"})
    assert other_order.status_code == 400
    both = tenant.client.get("/blocked-leads", params={"cursor": cursor, "offset": 1})
    assert both.status_code == 400


def test_get_patch_delete_one(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe", reason="old")["leads"]
    assert tenant.client.get(f"/blocked-leads/{lead['id']}").json() == lead
    patched = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "  new  "})
    assert patched.status_code == 200
    assert patched.json()["reason"] == "new"
    cleared = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": ""})
    assert cleared.json()["reason"] is None
    bad = tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "a\x00b"})
    assert bad.status_code == 400
    deleted = tenant.client.delete(f"/blocked-leads/{lead['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["success"] is True
    assert tenant.client.get(f"/blocked-leads/{lead['id']}").status_code == 404
    assert tenant.client.delete(f"/blocked-leads/{lead['id']}").status_code == 404
    assert tenant.client.get("/blocked-leads/no-such-id").status_code == 404


def test_bulk_delete_by_ids_and_identifiers(tenant: TenantFixture) -> None:
    leads = block(tenant, "lead-one", "lead-two", "lead-three", "lead-four")["leads"]
    walead = tenant.client.request(
        "DELETE", "/blocked-leads", json=[leads[0]["id"], "missing-id", leads[0]["id"]]
    ).json()
    assert walead["unblocked"] == 1
    assert walead["notFound"] == ["missing-id"]
    extended = tenant.client.request(
        "DELETE",
        "/blocked-leads",
        json={
            "ids": [leads[1]["id"]],
            "publicIdentifiers": ["https://linkedin.com/in/LEAD-THREE", "never-blocked"],
        },
    ).json()
    assert extended["unblocked"] == 2
    assert extended["notFound"] == ["never-blocked"]
    invalid = tenant.client.request(
        "DELETE", "/blocked-leads", json={"publicIdentifiers": ["lead-four", "@bad"]}
    )
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["index"] == 1
    remaining = [lead["publicIdentifier"] for lead in tenant.client.get("/blocked-leads").json()]
    assert remaining == ["lead-four"]
    assert tenant.client.request("DELETE", "/blocked-leads", json={"ids": [1]}).status_code == 400


def test_check_post_and_get(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe", reason="client")["leads"]
    body = tenant.client.post(
        "/blocked-leads/check",
        json={"publicIdentifiers": ["https://www.linkedin.com/in/JOHN-DOE", "jane-roe", "/in/x"]},
    ).json()
    assert body["success"] is True
    john, jane, bad = body["results"]
    assert john == {
        "input": "https://www.linkedin.com/in/JOHN-DOE",
        "publicIdentifier": "john-doe",
        "blocked": True,
        "scope": "workspace",
        "reason": "client",
        "blockedAt": lead["createdAt"],
    }
    assert jane["blocked"] is False
    assert jane["scope"] is None
    assert bad["blocked"] is None
    assert "path" in bad["error"]
    one = tenant.client.get("/blocked-leads/check", params={"publicIdentifier": "John-Doe"}).json()
    assert one["results"][0]["blocked"] is True
    assert tenant.client.get("/blocked-leads/check").status_code == 400
    unknown_campaign = tenant.client.post(
        "/blocked-leads/check", json={"publicIdentifiers": ["john-doe"], "campaignId": "nope"}
    )
    assert unknown_campaign.status_code == 404
    too_many = tenant.client.post(
        "/blocked-leads/check", json={"publicIdentifiers": ["john-doe"] * 10_001}
    )
    assert too_many.status_code == 400


def test_events_record_every_change_with_key_id(tenant: TenantFixture) -> None:
    [lead] = block(tenant, "john-doe", reason="first")["leads"]
    tenant.client.patch(f"/blocked-leads/{lead['id']}", json={"reason": "second"})
    tenant.client.delete(f"/blocked-leads/{lead['id']}")
    response = tenant.client.get("/blocked-leads/events")
    events = response.json()
    assert response.headers["X-Total-Count"] == "3"
    assert [(e["type"], e["reason"]) for e in events] == [
        ("unblocked", "second"),
        ("reason_changed", "second"),
        ("blocked", "first"),
    ]
    key_id = tenant.api_key.split("_")[1]
    assert {e["keyId"] for e in events} == {key_id}
    assert tenant.api_key not in response.text
    assert all(e["publicIdentifier"] == "john-doe" and e["scope"] == "workspace" for e in events)
    assert all(e["campaignId"] is None for e in events)
    only_blocks = tenant.client.get("/blocked-leads/events", params={"type": "blocked"}).json()
    assert [e["type"] for e in only_blocks] == ["blocked"]
    paged = tenant.client.get("/blocked-leads/events", params={"limit": 2})
    rest = tenant.client.get(
        "/blocked-leads/events", params={"limit": 2, "cursor": paged.headers["X-Next-Cursor"]}
    )
    assert [e["id"] for e in paged.json() + rest.json()] == [e["id"] for e in events]
    assert tenant.client.get("/blocked-leads/events", params={"type": "x"}).status_code == 400


def test_export_neutralises_formulas_and_round_trips_through_import(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    tenant.client.post(
        "/blocked-leads",
        json={
            "leads": [
                {"publicIdentifier": "-minus-start", "reason": '=HYPERLINK("x")'},
                {"publicIdentifier": "plain-lead", "reason": 'said, "no"\nsecond line'},
                {"publicIdentifier": "quote-lead", "reason": "'quoted"},
                {"publicIdentifier": "at-lead", "reason": "@SUM(1)"},
                {"publicIdentifier": "josé-garcía", "reason": "+33 6 12"},
            ]
        },
    )
    export = tenant.client.get("/blocked-leads/export")
    assert export.headers["content-type"].startswith("text/csv")
    lines = export.text.splitlines()
    assert lines[0] == "publicIdentifier,reason,createdAt,id"
    assert lines[1].startswith("'-minus-start,\"'=HYPERLINK")
    assert "'@SUM(1)" in export.text
    assert "''quoted" in export.text
    assert "'+33 6 12" in export.text
    imported = other_tenant.client.post(
        "/blocked-leads/import", content=export.content, headers={"content-type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["blocked"] == 5
    original = {
        (lead["publicIdentifier"], lead["reason"])
        for lead in tenant.client.get("/blocked-leads").json()
    }
    copied = {
        (lead["publicIdentifier"], lead["reason"])
        for lead in other_tenant.client.get("/blocked-leads").json()
    }
    assert copied == original


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
    assert (body["rows"], body["blocked"], body["alreadyBlocked"], body["duplicates"]) == (
        4,
        2,
        1,
        1,
    )
    check = tenant.client.get("/blocked-leads/check", params={"publicIdentifier": "url-lead"})
    assert check.json()["results"][0]["reason"] == "from crm"


def test_import_is_all_or_nothing_with_row_errors(tenant: TenantFixture) -> None:
    csv = b"publicIdentifier,reason\ngood-lead,\nhttps://www.linkedin.com/school/x,\nab,\n"
    response = tenant.client.post("/blocked-leads/import", content=csv)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [1, 2]
    assert "line 3" in errors[0]["message"]
    assert tenant.client.get("/blocked-leads").json() == []


def test_import_rejects_malformed_files(tenant: TenantFixture) -> None:
    for content, why in (
        (b"", "empty"),
        (b"publicIdentifier;reason\njohn-doe;x\n", "publicIdentifier column"),
        (b"name,reason\njohn,x\n", "publicIdentifier column"),
        (b"publicIdentifier\n\xff\xfe\n", "UTF-8"),
        (b"publicIdentifier\n", "no data rows"),
        (b'publicIdentifier\n"unterminated\n', "malformed"),
    ):
        response = tenant.client.post("/blocked-leads/import", content=content)
        assert response.status_code == 400, content
        assert why in response.json()["message"], response.json()


def test_error_envelope_for_framework_errors(server: Server, tenant: TenantFixture) -> None:
    malformed = tenant.client.post(
        "/blocked-leads", content=b'{"leads": [', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json() == {
        "success": False,
        "code": "malformed_json",
        "message": "The request body is not valid JSON (unexpected end of data).",
        "errors": [],
    }
    form_encoded = tenant.client.post(
        "/blocked-leads",
        content=b'{"leads":[{"publicIdentifier":"curl-default"}]}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form_encoded.status_code == 200
    no_body = tenant.client.post("/blocked-leads")
    assert no_body.status_code == 400
    assert no_body.json() == {
        "success": False,
        "code": "invalid_input",
        "message": "The request body is required.",
        "errors": [{"index": -1, "value": None, "message": "The request body is required."}],
    }
    not_object = tenant.client.post("/blocked-leads", json=[1, 2])
    assert not_object.status_code == 400
    assert not_object.json()["code"] == "invalid_input"
    unknown = httpx.get(f"{server.url}/api/v1/nowhere", headers={"x-api-key": tenant.api_key})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "success": False,
        "code": "not_found",
        "message": "Not found.",
        "errors": [],
    }
    wrong_method = tenant.client.put("/blocked-leads")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert wrong_method.headers["Allow"] == "DELETE, GET, HEAD, POST"
    deep = tenant.client.post(
        "/blocked-leads", content=b"[" * 100_000, headers={"content-type": "application/json"}
    )
    assert deep.status_code == 400
    assert deep.json()["code"] == "malformed_json"


def test_authentication_and_read_only_keys(
    server: Server, tenant: TenantFixture, read_only_client: httpx.Client
) -> None:
    missing = httpx.get(f"{server.api}/blocked-leads")
    assert missing.status_code == 401
    assert missing.json()["success"] is False
    wrong = httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": "lb_nope"})
    assert wrong.status_code == 401
    forged = tenant.api_key[:-4] + "AAAA"
    assert (
        httpx.get(f"{server.api}/blocked-leads", headers={"x-api-key": forged}).status_code == 401
    )
    block(tenant, "john-doe")
    assert read_only_client.get("/blocked-leads").status_code == 200
    refused = read_only_client.post(
        "/blocked-leads", json={"leads": [{"publicIdentifier": "x-y-z"}]}
    )
    assert refused.status_code == 403
    assert refused.json()["success"] is False
    assert read_only_client.request("DELETE", "/blocked-leads", json=[]).status_code == 403
    assert (
        read_only_client.post(
            "/blocked-leads/import", content=b"publicIdentifier\nabc\n"
        ).status_code
        == 403
    )
    assert [lead["publicIdentifier"] for lead in tenant.client.get("/blocked-leads").json()] == [
        "john-doe"
    ]


def test_openapi_and_docs_are_served(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    post = spec["paths"]["/api/v1/blocked-leads"]["post"]
    assert {"200", "400", "401", "403", "413", "503"} <= set(post["responses"])
    assert "422" not in post["responses"]
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_total_count_follows_every_change(tenant: TenantFixture) -> None:
    """X-Total-Count comes from a running count; it must match the rows after every kind of
    write: new and repeated blocks, unblock by id and by identifier, a failed request, import."""

    def total() -> int:
        return int(tenant.client.get("/blocked-leads").headers["X-Total-Count"])

    def rows() -> int:
        return len(tenant.client.get("/blocked-leads", params={"limit": 1000}).json())

    created = block(tenant, "count-a", "count-b", "count-c", "count-a")
    assert total() == rows() == 3
    block(tenant, "count-a", "count-d")
    assert total() == rows() == 4
    bad = tenant.client.post(
        "/blocked-leads",
        json={"leads": [{"publicIdentifier": "count-e"}, {"publicIdentifier": ""}]},
    )
    assert bad.status_code == 400
    assert total() == rows() == 4
    first_id = created["leads"][0]["id"]
    tenant.client.request("DELETE", "/blocked-leads", json=[first_id, first_id, "no-such-id"])
    assert total() == rows() == 3
    tenant.client.request(
        "DELETE", "/blocked-leads", json={"publicIdentifiers": ["count-b", "count-zzz"]}
    )
    assert total() == rows() == 2
    csv = "publicIdentifier\ncount-f\ncount-c\ncount-g\n"
    imported = tenant.client.post(
        "/blocked-leads/import", content=csv, headers={"content-type": "text/csv"}
    )
    assert imported.json()["blocked"] == 2
    assert total() == rows() == 4
