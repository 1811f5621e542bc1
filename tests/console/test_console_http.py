"""The console over plain HTTP: sessions, CSRF, read-only keys, escaping, isolation and the
security headers (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import time

import httpx
import pytest

from leadblock.console.session import SESSION_COOKIE, SessionSigner
from tests.console.conftest import Console, csrf_of, signed_in_client

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
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in flags
    assert flags["samesite"].strip().lower() == "samesite=strict"
    assert flags["max-age"].strip() == f"Max-Age={8 * 3600}"
    assert flags["path"].strip() == "Path=/console"
    assert console.api_key not in cookie  # the cookie names the key's id, never the key


def test_wrong_key_and_missing_csrf_are_refused_at_sign_in(console: Console) -> None:
    with httpx.Client(base_url=console.server.url) as client:
        form = client.get("/console/sign-in")
        wrong = client.post(
            "/console/sign-in",
            data={"api_key": console.api_key[:-2] + "xx", "csrf_token": csrf_of(form.text)},
        )
        assert wrong.status_code == 401
        assert "Invalid or revoked API key." in wrong.text
        assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
        no_token = client.post("/console/sign-in", data={"api_key": console.api_key})
        assert no_token.status_code == 403
    with httpx.Client(base_url=console.server.url) as stranger:  # no sign-in nonce cookie
        forged = stranger.post(
            "/console/sign-in", data={"api_key": console.api_key, "csrf_token": csrf_of(form.text)}
        )
        assert forged.status_code == 403


def test_every_console_answer_carries_the_security_headers(console: Console) -> None:
    with signed_in_client(console, console.api_key) as client:
        answers = [client.get(path) for path in PAGES]
        answers.append(client.get("/console/static/console.js"))
        answers.append(client.get("/console/campaigns/nope"))  # an error page
        missing = client.get("/console/no/such/page")
        assert missing.status_code == 404
        assert "There is no such page in the console." in missing.text
        answers.append(missing)
    with httpx.Client(base_url=console.server.url) as anonymous:
        answers.append(anonymous.get("/console/sign-in"))
    for answer in answers:
        assert answer.status_code in (200, 404), answer.url
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert all(
        a.headers["cache-control"] == "no-store" for a in answers if "static" not in str(a.url)
    )


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
            assert answer.status_code == 403
            assert "not sent from this console page" in answer.text
        foreign = client.post(
            "/console/blocklist/add",
            data={"identifiers": "csrf-foreign-origin", "csrf_token": token},
            headers={"origin": "http://127.0.0.1:1"},
        )
        assert foreign.status_code == 403
        for name in ("csrf-missing", "csrf-wrong", "csrf-other-session", "csrf-foreign-origin"):
            assert not blocked(console, name)
        good = client.post(
            "/console/blocklist/add", data={"identifiers": "csrf-good", "csrf_token": token}
        )
        assert good.status_code == 303
        assert blocked(console, "csrf-good")


def test_a_read_only_key_gets_no_write_controls_and_writes_are_refused(console: Console) -> None:
    with signed_in_client(console, console.read_only_key) as client:
        page = client.get("/console/blocklist").text
        assert "read-only" in page
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
            assert answer.status_code == 403, path
            assert "read-only" in answer.text
        upload = client.post(
            "/console/import",
            content=b"publicIdentifier\nread-only-import\n",
            headers={"x-csrf-token": token, "content-type": "text/csv"},
        )
        assert upload.status_code == 403
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
        assert "revoked" in admin.get("/console/keys").text


def test_another_workspaces_records_are_not_found(console: Console) -> None:
    with console.api(console.other_api_key) as api:
        campaign = api.post("/campaigns", json={"name": "theirs"}).json()["id"]
        lead = api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "theirs"}]})
        lead_id = lead.json()["leads"][0]["id"]
    other_key_id = console.other_api_key.split("_")[1]
    with signed_in_client(console, console.api_key) as client:
        token = csrf_of(client.get("/console/blocklist").text)
        assert client.get(f"/console/campaigns/{campaign}").status_code == 404
        assert client.get(f"/console/blocklist/{lead_id}").status_code == 404
        for path in (
            f"/console/blocklist/{lead_id}/remove",
            f"/console/keys/{other_key_id}/revoke",
        ):
            assert client.post(path, data={"csrf_token": token}).status_code == 404
        search = client.get("/console/blocklist", params={"search": "theirs"})
        assert "0 blocked leads matching" in search.text
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
    assert "Enter at least one identifier" in answer.text


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
