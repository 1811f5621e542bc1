"""The console over plain HTTP: sessions, CSRF, read-only keys, escaping, isolation and the
security headers (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from leadblock.console.session import SESSION_COOKIE, SessionSigner
from tests.console.conftest import Console, csrf_of, signed_in_client

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CSRF_REFUSED = "This form was not sent from this console page; reload it and retry."
READ_ONLY = "This API key is read-only."
ALERT = re.compile(r'<p (?:id="[^"]+" )?class="error" role="alert">(.*?)</p>', re.DOTALL)
HEADING = re.compile(r"<h1>(.*?)</h1>", re.DOTALL)


def alerts(html: str) -> list[str]:
    """The text of every alert paragraph of a console page."""
    return ALERT.findall(html)


def error_page(answer: httpx.Response, status: int, heading: str, message: str) -> None:
    """`answer` is the console's error page: that status, heading and message, nothing else."""
    assert answer.status_code == status, answer.url
    assert HEADING.findall(answer.text) == [f"{status} — {heading}"]
    assert alerts(answer.text) == [message]


PAGES = [
    "/console/blocklist",
    "/console/transfer",
    "/console/campaigns",
    "/console/audit",
    "/console/keys",
]


def blocked(console: Console, identifier: str) -> bool:
    with console.api() as api:
        answer = api.get("/blocked-leads/check", params={"publicIdentifier": identifier})
    return bool(answer.json()["results"][0]["blocked"])


def test_pages_need_a_session(console: Console) -> None:
    with httpx.Client(base_url=console.server.url) as client:
        for path in ["/console", *PAGES]:
            answer = client.get(path)
            assert answer.status_code == 303
            expected = "/console/blocklist" if path == "/console" else "/console/sign-in"
            assert answer.headers["location"] == expected


def test_sign_in_sets_a_strict_http_only_expiring_cookie(console: Console) -> None:
    with httpx.Client(base_url=console.server.url) as client:
        form = client.get("/console/sign-in")
        answer = client.post(
            "/console/sign-in", data={"api_key": console.api_key, "csrf_token": csrf_of(form.text)}
        )
    assert answer.status_code == 303
    cookie = next(
        value for value in answer.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE)
    )
    # HttpOnly, SameSite=Strict, 8 hours, the console's path only; the value is signed and names
    # the key's id, never the key.
    assert re.fullmatch(
        rf"{SESSION_COOKIE}=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; HttpOnly; Max-Age={8 * 3600}; "
        "Path=/console; SameSite=strict",
        cookie,
    ), cookie
    assert console.api_key not in cookie


def test_wrong_key_and_missing_csrf_are_refused_at_sign_in(console: Console) -> None:
    with httpx.Client(base_url=console.server.url) as client:
        form = client.get("/console/sign-in")
        wrong = client.post(
            "/console/sign-in",
            data={"api_key": console.api_key[:-2] + "xx", "csrf_token": csrf_of(form.text)},
        )
        assert wrong.status_code == 401
        assert alerts(wrong.text) == ["Invalid or revoked API key."]
        # Only the sign-in form's own cookie, set again for another try; no session.
        [again] = wrong.headers.get_list("set-cookie")
        assert again.startswith("leadblock_sign_in=")
        no_token = client.post("/console/sign-in", data={"api_key": console.api_key})
        error_page(no_token, 403, "Not allowed", CSRF_REFUSED)
        assert "set-cookie" not in no_token.headers
    with httpx.Client(base_url=console.server.url) as stranger:  # no sign-in nonce cookie
        forged = stranger.post(
            "/console/sign-in", data={"api_key": console.api_key, "csrf_token": csrf_of(form.text)}
        )
        error_page(forged, 403, "Not allowed", CSRF_REFUSED)
        assert "set-cookie" not in forged.headers


def test_every_console_answer_carries_the_security_headers(console: Console) -> None:
    with signed_in_client(console, console.api_key) as client:
        answers = [client.get(path) for path in PAGES]
        answers.append(client.get("/console/static/console.js"))
        answers.append(client.get("/console/campaigns/nope"))  # an error page
        error_page(answers[-1], 404, "Not found", "Campaign not found.")
        missing = client.get("/console/no/such/page")
        error_page(missing, 404, "Not found", "There is no such page in the console.")
        answers.append(missing)
    with httpx.Client(base_url=console.server.url) as anonymous:
        answers.append(anonymous.get("/console/sign-in"))
    assert [answer.status_code for answer in answers] == [200] * 6 + [404, 404, 200]
    for answer in answers:
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    # Pages are never stored; the script may be.
    assert [a.headers.get("cache-control") for a in answers] == [
        *["no-store"] * 5,
        None,
        *["no-store"] * 3,
    ]


def test_state_changes_need_this_sessions_csrf_token(console: Console) -> None:
    with (
        signed_in_client(console, console.api_key) as client,
        signed_in_client(console, console.api_key) as other_session,
    ):
        token = csrf_of(client.get("/console/blocklist").text)
        other_token = csrf_of(other_session.get("/console/blocklist").text)
        for attempt in (
            {"identifiers": "csrf-missing"},
            {"identifiers": "csrf-wrong", "csrf_token": "0" * 64},
            {"identifiers": "csrf-other-session", "csrf_token": other_token},
        ):
            answer = client.post("/console/blocklist/add", data=attempt)
            error_page(answer, 403, "Not allowed", CSRF_REFUSED)
        foreign = client.post(
            "/console/blocklist/add",
            data={"identifiers": "csrf-foreign-origin", "csrf_token": token},
            headers={"origin": "http://127.0.0.1:1"},
        )
        error_page(foreign, 403, "Not allowed", CSRF_REFUSED)
        for name in ("csrf-missing", "csrf-wrong", "csrf-other-session", "csrf-foreign-origin"):
            assert not blocked(console, name)
        good = client.post(
            "/console/blocklist/add", data={"identifiers": "csrf-good", "csrf_token": token}
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/console/blocklist?blocked=1&already=0"
        assert blocked(console, "csrf-good")


def test_a_read_only_key_gets_no_write_controls_and_writes_are_refused(console: Console) -> None:
    with signed_in_client(console, console.read_only_key) as client:
        page = client.get("/console/blocklist").text
        assert re.findall(r'<span class="badge"[^>]*>(.*?)</span>', page) == ["read-only"]
        assert 'action="/console/blocklist/add"' not in page
        assert 'id="import-form"' not in client.get("/console/transfer").text
        assert "/revoke" not in client.get("/console/keys").text
        token = csrf_of(page)  # the sign-out form's
        writes = [
            ("/console/blocklist/add", {"identifiers": "read-only-write"}),
            ("/console/campaigns", {"name": "read-only campaign"}),
            ("/console/keys", {"name": "read-only key"}),
        ]
        for path, form in writes:
            answer = client.post(path, data={**form, "csrf_token": token})
            error_page(answer, 403, "Not allowed", READ_ONLY)
        upload = client.post(
            "/console/import",
            content=b"publicIdentifier\nread-only-import\n",
            headers={"x-csrf-token": token, "content-type": "text/csv"},
        )
        error_page(upload, 403, "Not allowed", READ_ONLY)
    assert not blocked(console, "read-only-write")
    assert not blocked(console, "read-only-import")


def test_user_data_is_escaped(console: Console) -> None:
    script = "<script>alert(1)</script>"
    with signed_in_client(console, console.api_key) as client:
        token = csrf_of(client.get("/console/blocklist").text)
        client.post(
            "/console/blocklist/add",
            data={"identifiers": "xss-lead", "reason": script, "csrf_token": token},
        )
        created = client.post(
            "/console/campaigns",
            data={"name": '"><img src=x onerror=alert(1)>', "csrf_token": token},
        )
        pages = [
            client.get("/console/blocklist").text,
            client.get("/console/audit").text,
            client.get(created.headers["location"]).text,
            client.get("/console/campaigns").text,
        ]
    for page in pages:
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages[3]


def test_forged_tampered_and_expired_sessions_are_refused(console: Console) -> None:
    with signed_in_client(console, console.api_key) as client:
        genuine = client.cookies[SESSION_COOKIE]
    payload, _signature = genuine.rsplit(".", 1)
    expired = SessionSigner("whatever", -1).issue("0" * 16)  # wrong secret and already over
    for cookie in (payload + ".AAAA", genuine[:-3] + "abc", expired, "garbage"):
        with httpx.Client(base_url=console.server.url, cookies={SESSION_COOKIE: cookie}) as c:
            answer = c.get("/console/blocklist")
            assert answer.status_code == 303
            assert answer.headers["location"] == "/console/sign-in"


def test_sessions_expire() -> None:
    signer = SessionSigner("secret", lifetime_s=1)
    cookie = signer.issue("0123456789abcdef")
    session = signer.read(cookie)
    assert session is not None
    assert session.key_id == "0123456789abcdef"
    assert signer.read(cookie.replace(".", "x.", 1)) is None
    time.sleep(1.1)
    assert signer.read(cookie) is None


def test_revoking_the_key_ends_its_sessions(console: Console) -> None:
    with signed_in_client(console, console.api_key) as admin:
        token = csrf_of(admin.get("/console/keys").text)
        created = admin.post(
            "/console/keys", data={"name": "integrator", "role": "read-write", "csrf_token": token}
        )
        assert created.status_code == 200
        new_key = created.text.split('id="new-key" value="', 1)[1].split('"', 1)[0]
        assert new_key.startswith("lb_")
        with signed_in_client(console, new_key) as integrator:
            assert integrator.get("/console/blocklist").status_code == 200
            key_id = new_key.split("_")[1]
            revoked = admin.post(f"/console/keys/{key_id}/revoke", data={"csrf_token": token})
            assert revoked.status_code == 303
            after = integrator.get("/console/blocklist")
            assert after.status_code == 303
            assert after.headers["location"] == "/console/sign-in"
        with console.api(new_key) as api:
            assert api.get("/blocked-leads").status_code == 401
        keys_page = admin.get("/console/keys").text
        row = re.search(rf'<tr id="key-{key_id}">(.*?)</tr>', keys_page, re.DOTALL)
        assert row
        state = re.findall(r'<td data-label="State">\s*(.*?)\s*</td>', row.group(1), re.DOTALL)
        assert len(state) == 1
        assert re.fullmatch(r"revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC", state[0]), state


def test_another_workspaces_records_are_not_found(console: Console) -> None:
    with console.api(console.other_api_key) as api:
        campaign = api.post("/campaigns", json={"name": "theirs"}).json()["id"]
        lead = api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "theirs"}]})
        lead_id = lead.json()["leads"][0]["id"]
    other_key_id = console.other_api_key.split("_")[1]
    with signed_in_client(console, console.api_key) as client:
        token = csrf_of(client.get("/console/blocklist").text)
        error_page(
            client.get(f"/console/campaigns/{campaign}"), 404, "Not found", "Campaign not found."
        )
        error_page(
            client.get(f"/console/blocklist/{lead_id}"), 404, "Not found", "Blocked lead not found."
        )
        error_page(
            client.post(f"/console/blocklist/{lead_id}/remove", data={"csrf_token": token}),
            404,
            "Not found",
            "Blocked lead not found.",
        )
        error_page(
            client.post(f"/console/keys/{other_key_id}/revoke", data={"csrf_token": token}),
            404,
            "Not found",
            "API key not found.",
        )
        search = client.get("/console/blocklist", params={"search": "theirs"})
        assert re.findall(r'<p class="count" id="result-count">(.*?)</p>', search.text) == [
            "0 blocked leads matching “theirs”"
        ]
        assert "<code>theirs</code>" not in search.text
    with console.api(console.other_api_key) as api:
        assert api.get(f"/blocked-leads/{lead_id}").status_code == 200


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_an_empty_paste_is_a_clear_error(console: Console, text: str) -> None:
    with signed_in_client(console, console.api_key) as client:
        token = csrf_of(client.get("/console/blocklist").text)
        answer = client.post(
            "/console/blocklist/add", data={"identifiers": text, "csrf_token": token}
        )
    assert answer.status_code == 400
    add_errors = re.search(
        r'<div id="add-errors" class="error" role="alert">(.*?)</div>', answer.text, re.DOTALL
    )
    assert add_errors
    # The paragraph, and no list of lines (there are none), whatever the template's spacing.
    assert " ".join(add_errors.group(1).split()) == (
        "<p>Enter at least one identifier or profile URL. Nothing was blocked.</p>"
    )


def test_signing_out_ends_the_session_on_the_server(console: Console) -> None:
    with (
        signed_in_client(console, console.api_key) as leaving,
        signed_in_client(console, console.api_key) as staying,
    ):
        copied = leaving.cookies[SESSION_COOKIE]  # e.g. left behind on a shared computer
        token = csrf_of(leaving.get("/console/blocklist").text)
        answer = leaving.post("/console/sign-out", data={"csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in"
        with httpx.Client(base_url=console.server.url, cookies={SESSION_COOKIE: copied}) as c:
            replay = c.get("/console/blocklist")
            assert replay.status_code == 303
            assert replay.headers["location"] == "/console/sign-in"
        # Only that session ended: the key and its other sessions go on.
        assert staying.get("/console/blocklist").status_code == 200
