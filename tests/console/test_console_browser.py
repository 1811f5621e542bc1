"""The console end to end in headless Chromium against a real server on 127.0.0.1.

Every page visited is saved as a screenshot at 1280 px and 390 px wide (under
test-output/console/, or $LEADBLOCK_TEST_OUTPUT/console/) and must not scroll sideways at
either width. Forms are filled by their labels, and the sign-in form is sent with the keyboard.
"""

from __future__ import annotations

import csv
import http.server
import io
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, expect

from tests.console.conftest import Console
from tests.receiver import Behaviour, Receiver
from tests.server import free_port

pytestmark = pytest.mark.slow
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", _no_unexpected_dialog)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught {error}"))
    page.on("console", lambda message: _note_console_error(message, problems))
    yield page
    context.close()
    # Self-contained: every script, style and image came from the server itself.
    foreign = [url for url in requested if not url.startswith(("http://127.0.0.1:", "data:"))]
    assert not foreign, f"the console fetched from elsewhere: {foreign}"
    # No script error, and nothing refused by the Content-Security-Policy.
    assert not problems, f"the browser reported: {problems}"


# Logged for errors the tests cause on purpose: a 4xx or 5xx answer ("Failed to load
# resource"), and htmx's report of a request the network refused.
_EXPECTED_ERRORS = ("Failed to load resource", "htmx:sendError", "htmx:afterRequest")


def _note_console_error(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error" and not message.text.startswith(_EXPECTED_ERRORS):
        problems.append(message.text)


def _no_unexpected_dialog(dialog: Dialog) -> None:
    # confirm() is answered by the tests that expect it; an alert() would be script injection.
    if dialog.type == "alert":
        raise AssertionError(f"unexpected alert: {dialog.message}")


def sign_in(page: Page, console: Console, api_key: str) -> None:
    page.goto(f"{console.url}/sign-in")
    page.get_by_label("API key").fill(api_key)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{console.url}/blocklist")


def shoot(page: Page, folder: Path, name: str) -> None:
    """Screenshots at both widths; the page must fit each width without sideways scrolling."""
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px on {label}"
    page.set_viewport_size({"width": 1280, "height": 900})


def api_blocked(console: Console, identifier: str) -> bool:
    with console.api() as api:
        answer = api.get("/blocked-leads/check", params={"publicIdentifier": identifier})
    return bool(answer.json()["results"][0]["blocked"])


def test_sign_in_add_search_edit_remove(page: Page, console: Console, screenshots: Path) -> None:
    page.goto(console.url)
    expect(page).to_have_url(f"{console.url}/sign-in")
    shoot(page, screenshots, "sign-in")
    sign_in(page, console, console.api_key)

    page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line").fill(
        "https://www.linkedin.com/in/Maria-Lopez-42/\nbrowser-bob"
    )
    page.get_by_label("Reason (optional, for every line)").fill("asked to be removed")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("2 blocked, 0 already on the blocklist.")
    assert api_blocked(console, "maria-lopez-42")

    search = page.get_by_label("Search identifiers and reasons")
    search.press_sequentially("maria", delay=30)  # search as you type: no button pressed
    expect(page.locator("#result-count")).to_have_text("1 blocked lead matching “maria”")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(f"{console.url}/blocklist?search=maria")
    shoot(page, screenshots, "blocklist")

    page.get_by_role("link", name="Open maria-lopez-42").click()
    page.get_by_label("Reason (empty for none)").fill("client since 2026")
    page.get_by_role("button", name="Save reason").click()
    expect(page.get_by_role("status")).to_have_text("Reason saved.")
    expect(page.locator(".facts .reason")).to_have_text("client since 2026")
    shoot(page, screenshots, "lead")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Remove…").click()
    expect(page.get_by_role("heading", name="maria-lopez-42")).to_be_visible()
    assert api_blocked(console, "maria-lopez-42")  # dismissed: still blocked

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove…").click()
    expect(page.get_by_role("status")).to_have_text("The lead was removed from the blocklist.")
    assert not api_blocked(console, "maria-lopez-42")

    page.goto(f"{console.url}/audit?identifier=maria-lopez-42")
    expect(page.locator(".timeline li")).to_have_count(3)  # blocked, reason changed, unblocked
    page.get_by_label("Type").select_option("reason_changed")
    page.get_by_role("button", name="Filter").click()
    event = page.locator(".timeline li")
    expect(event).to_have_count(1)
    expect(event.locator(".what")).to_have_text("reason changed")
    expect(event.locator("code")).to_have_text("maria-lopez-42")
    expect(event.locator(".scope")).to_have_text("workspace")
    expect(event.locator(".reason")).to_have_text("“client since 2026”")
    shoot(page, screenshots, "audit")


def test_paste_many_with_an_invalid_line(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line").fill(
        "paste-one\n\nnot a profile!\nhttps://www.linkedin.com/in/paste-two"
    )
    page.get_by_role("button", name="Block", exact=True).click()
    errors = page.locator(".line-errors li")
    expect(errors).to_have_text([f"Line 3: not a profile! — {NOT_ALLOWED_SPACE}"])
    expect(page.locator("#add-errors > p")).to_have_text(
        "1 invalid lead; nothing was written. Nothing was blocked."
    )
    # The text is kept for correcting, and nothing was written.
    expect(
        page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line")
    ).to_have_value("paste-one\n\nnot a profile!\nhttps://www.linkedin.com/in/paste-two")
    assert not api_blocked(console, "paste-one")


# What a pasted line with a space inside is told.
NOT_ALLOWED_SPACE = "publicIdentifier contains a character that is not allowed: U+0020 SPACE"


def _csv(rows: list[tuple[str, str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["publicIdentifier", "reason"])
    writer.writerows(rows)
    return text.getvalue().encode()


def test_import_shows_progress_then_errors_and_export_downloads(
    page: Page, console: Console, screenshots: Path, tmp_path: Path
) -> None:
    sign_in(page, console, console.api_key)
    page.get_by_role("link", name="Import & export").click()
    good = tmp_path / "crm.csv"
    good.write_bytes(_csv([(f"import-{n:05d}", "crm export") for n in range(10_000)]))
    page.get_by_label("CSV file", exact=True).set_input_files(str(good))
    # Record every value the progress bar takes, however quickly they follow each other, and
    # a copy of the answer the page reads as it streams.
    page.evaluate(
        """() => {
        window.progressOld = [];
        const bar = document.getElementById("import-progress");
        new MutationObserver((records) => {
          for (const record of records) window.progressOld.push(Number(record.oldValue));
        }).observe(bar, {attributes: true, attributeFilter: ["value"], attributeOldValue: true});
        const fetchOriginal = window.fetch;
        window.fetch = async (...args) => {
          const response = await fetchOriginal(...args);
          const [copy, page] = response.body.tee();
          window.streamed = new Response(copy).text();
          return new Response(page, {status: response.status, headers: response.headers});
        };
        }"""
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result")).to_have_text(
        "Imported 10,000 rows: 10,000 blocked, 0 already blocked, 0 duplicates.", timeout=60_000
    )
    # What the server streamed: a report every 1,000 rows checked and one when all are, one
    # before and one after the (single) batch of 10,000 is blocked, then the outcome.
    reports = [json.loads(line) for line in page.evaluate("window.streamed").splitlines()]
    assert [report.get("phase") for report in reports] == [
        *["validating"] * 11,
        *["blocking"] * 2,
        None,
    ]
    assert reports[-1] == {
        "done": {"rows": 10_000, "blocked": 10_000, "alreadyBlocked": 0, "duplicates": 0}
    }
    percents = [report["percent"] for report in reports[:-1]]
    # Checking fills the first half of the bar by bytes read, blocking the second by leads.
    # How far ahead of the parser the server's decoder has read at each report is Python's
    # buffering; what is leadblock's is that the bar only moves forward and ends each half full.
    # (The 10,000th row is the last: when it is checked, every byte has been read.)
    checking = percents[:10]
    assert checking == sorted(set(checking))
    assert checking[0] > 0
    assert percents[9:] == [50, 50, 50, 100]
    # Each change's previous value, then the last: every value the bar has shown, in order.
    # It starts at 0, is set to 0 when the upload starts, shows every report, and 100 at the end.
    seen: list[float] = page.evaluate(
        "[...window.progressOld, document.getElementById('import-progress').value]"
    )
    assert seen == [0, 0, *percents, 100]
    assert api_blocked(console, "import-09999")
    shoot(page, screenshots, "import")

    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([("fine-row", ""), ("bad row!", ""), ("x", ""), ("fine-too", "")]))
    page.get_by_label("CSV file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result .error")).to_have_text(
        "2 invalid rows; nothing was written."
    )
    rows = page.locator("#import-errors tbody tr")
    expect(rows).to_have_count(2)
    # Row (of data, from 1), value, problem (with the line of the file).
    expect(rows.nth(0).locator("td")).to_have_text(
        [
            "2",
            "bad row!",
            f"line 3: {NOT_ALLOWED_SPACE}",
        ]
    )
    expect(rows.nth(1).locator("td")).to_have_text(
        ["3", "x", "line 4: publicIdentifier is shorter than 3 characters"]
    )
    assert not api_blocked(console, "fine-row")
    shoot(page, screenshots, "import-errors")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"blocklist-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    exported = Path(download.path()).read_bytes()
    # Other tests of this module block leads of their own: the download is what the API
    # exports for the same workspace, and holds the 10,000 rows imported above, in order.
    with console.api() as api:
        assert exported == api.get("/blocked-leads/export").content
    lines = exported.decode().split("\r\n")
    assert lines[0] == "publicIdentifier,reason,createdAt,id,expiresAt"
    assert lines[-1] == ""
    imported = [line.split(",")[:2] for line in lines if line.startswith("import-")]
    assert imported == [[f"import-{n:05d}", "crm export"] for n in range(10_000)]


# A time as the console shows it (to the minute, in UTC).
MINUTE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def test_keys_create_copy_and_revoke_ends_the_keys_session(
    chromium: Browser, page: Page, console: Console, screenshots: Path
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, console, console.api_key)
    page.get_by_role("link", name="API keys").click()
    expect(page.locator("tbody tr")).to_have_count(2)  # the first key and the read-only one
    shoot(page, screenshots, "keys")
    page.get_by_label("Name (who or what uses it)").fill("Zapier integration")
    page.get_by_label("Role").select_option("read-write")
    page.get_by_role("button", name="Create key").click()
    key_field = page.get_by_label("Read-write key “Zapier integration”")
    new_key = key_field.input_value()
    assert new_key.startswith("lb_")
    page.get_by_role("button", name="Copy to clipboard").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == new_key
    shoot(page, screenshots, "key-created")

    integrator = chromium.new_context().new_page()
    try:
        sign_in(integrator, console, new_key)
        page.goto(f"{console.url}/keys")
        key_id = new_key.split("_")[1]
        row = page.locator(f"#key-{key_id}")
        cells = [f"lb_{key_id}_…", "Zapier integration", "read-write", MINUTE, MINUTE]
        expect(row.locator("td")).to_have_text([*cells, "Revoke…"])
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name=f"Revoke key lb_{key_id}").click()
        expect(row.locator("td")).to_have_text([*cells, re.compile(rf"revoked {MINUTE.pattern}")])
        integrator.reload()
        expect(integrator).to_have_url(f"{console.url}/sign-in")
    finally:
        integrator.context.close()
    with console.api(new_key) as api:
        assert api.get("/blocked-leads").status_code == 401


def test_read_only_console(page: Page, console: Console, screenshots: Path) -> None:
    sign_in(page, console, console.read_only_key)
    expect(page.locator(".badge", has_text="read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Block", exact=True)).to_have_count(0)
    page.goto(f"{console.url}/transfer")
    expect(page.get_by_label("CSV file", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    page.goto(f"{console.url}/keys")
    expect(page.get_by_role("button", name="Create key")).to_have_count(0)
    shoot(page, screenshots, "keys-read-only")
    # Without the controls, a hand-made request with the session's own token is refused too.
    status = page.evaluate(
        """async () => {
        const token = document.querySelector('input[name="csrf_token"]').value;
        const body = new URLSearchParams({identifiers: "read-only-browser", csrf_token: token});
        const answer = await fetch("/console/blocklist/add", {method: "POST", body});
        return answer.status;
        }"""
    )
    assert status == 403
    assert not api_blocked(console, "read-only-browser")


def test_script_in_user_data_is_shown_as_text(page: Page, console: Console) -> None:
    script = "<script>alert(1)</script>"
    sign_in(page, console, console.api_key)
    page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line").fill("xss-test")
    page.get_by_label("Reason (optional, for every line)").fill(script)
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("1 blocked, 0 already on the blocklist.")
    page.get_by_label("Search identifiers and reasons").press_sequentially("xss-test", delay=20)
    expect(page.locator("#result-count")).to_have_text("1 blocked lead matching “xss-test”")
    expect(page.locator("#results td.reason")).to_have_text(script)
    page.goto(f"{console.url}/campaigns")
    page.get_by_label("Name").fill('<img src=x onerror="alert(2)">')
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text('<img src=x onerror="alert(2)">')
    assert page.locator("img").count() == 0  # the dialog handler fails the test on alert()


class _ForeignSite(http.server.BaseHTTPRequestHandler):
    """Another origin on 127.0.0.1 whose page posts a form to the console by itself."""

    target = ""

    def do_GET(self) -> None:
        page = (
            f'<form id="f" method="post" action="{self.target}">'
            '<input name="identifiers" value="csrf-victim"></form>'
            "<script>document.getElementById('f').submit()</script>"
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *_args: Any) -> None:
        pass


def test_a_cross_site_form_post_is_refused(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    _ForeignSite.target = f"{console.url}/blocklist/add"
    site = http.server.HTTPServer(("127.0.0.1", free_port()), _ForeignSite)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        with page.expect_navigation(url=f"{console.url}/**") as navigation:
            page.goto(f"http://127.0.0.1:{site.server_port}/")
        # Another port of 127.0.0.1 is another origin but the same site: the session cookie
        # goes along (SameSite does not tell ports apart), and the form has no CSRF token.
        answer = navigation.value
        assert answer is not None
        assert answer.status == 403
        assert page.url == f"{console.url}/blocklist/add"
        expect(page.get_by_role("heading", level=1)).to_have_text("403 — Not allowed")
        expect(page.get_by_role("alert")).to_have_text(
            "This form was not sent from this console page; reload it and retry."
        )
    finally:
        site.shutdown()
        site.server_close()
    assert not api_blocked(console, "csrf-victim")


def create_campaign(page: Page, console: Console, name: str) -> str:
    """Create a campaign on the Campaigns page; its id, once its own page shows."""
    page.goto(f"{console.url}/campaigns")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.rsplit("/", 1)[1]


def test_campaign_pages_show_blocks_and_leads_with_their_scope(
    page: Page, console: Console, screenshots: Path
) -> None:
    sign_in(page, console, console.api_key)
    campaign_id = create_campaign(page, console, "Spring outreach")
    page.get_by_label("Public identifiers or profile URLs to block in this campaign").fill(
        "camp-blocked\nbad entry!"
    )
    page.get_by_role("button", name="Block in campaign").click()
    expect(page.locator(".line-errors li")).to_have_text(
        [f"Line 2: bad entry! — {NOT_ALLOWED_SPACE}"]
    )
    # Focus moves to the field to correct as the errors appear, never a moment later: a later
    # move once sent the reason typed next into this field ("camp-blockedcompetitor").
    expect(
        page.get_by_label("Public identifiers or profile URLs to block in this campaign")
    ).to_be_focused()
    page.get_by_label("Public identifiers or profile URLs to block in this campaign").fill(
        "camp-blocked"
    )
    page.get_by_label("Reason (optional)").fill("competitor")
    page.get_by_role("button", name="Block in campaign").click()
    expect(page.get_by_role("status")).to_have_text(
        "1 blocked in this campaign, 0 already blocked in it."
    )
    with console.api() as api:
        # The block the form wrote is the API's too, exactly as typed (see the focus check above).
        campaign_blocks = api.get(f"/campaigns/{campaign_id}/blocked-leads").json()
        assert [block["publicIdentifier"] for block in campaign_blocks] == ["camp-blocked"], (
            campaign_blocks
        )
        blocked = api.post(
            "/blocked-leads", json={"leads": [{"publicIdentifier": "camp-everywhere"}]}
        )
        assert blocked.status_code == 200, blocked.text
        leads = [{"publicIdentifier": name} for name in ("camp-free", "camp-blocked")]
        leads.append({"publicIdentifier": "camp-everywhere", "firstName": "Eve"})
        enrolled = api.post(f"/campaigns/{campaign_id}/leads", json={"leads": leads})
        assert enrolled.status_code == 200, enrolled.text
        checked = api.post(
            "/blocked-leads/check",
            json={"publicIdentifiers": ["camp-blocked"], "campaignId": campaign_id},
        )
        assert checked.json()["results"][0]["scope"] == "campaign", checked.text
    page.reload()
    rows = page.locator("#leads-title ~ .table-wrap tbody tr")
    expect(rows).to_have_count(3)
    # Identifier, name, company, email, status and the block in force; not the enrolment time.
    for index, cells in enumerate(
        [
            ["camp-free", "—", "—", "—", "pending", "no"],
            ["camp-blocked", "—", "—", "—", "pending", "blocked · campaign competitor"],
            ["camp-everywhere", "Eve", "—", "—", "pending", "blocked · workspace"],
        ]
    ):
        expect(rows.nth(index).locator("td:not(:last-child)")).to_have_text(cells)
    shoot(page, screenshots, "campaign")
    page.get_by_role("link", name="← Campaigns").click()
    expect(page.get_by_role("link", name="Spring outreach")).to_be_visible()
    shoot(page, screenshots, "campaigns")


def test_campaign_page_shows_leased_leads_and_releases_a_claim(
    page: Page, console: Console, screenshots: Path
) -> None:
    with console.api() as api:
        campaign_id = api.post("/campaigns", json={"name": "Leased outreach"}).json()["id"]
        leads = [{"publicIdentifier": name} for name in ("lease-one", "lease-two", "lease-three")]
        api.post(f"/campaigns/{campaign_id}/leads", json={"leads": leads})
        claim = api.post(
            f"/campaigns/{campaign_id}/dispatch", json={"limit": 2, "leaseSeconds": 3600}
        ).json()
        trail = api.get("/blocked-leads/events").json()
    sign_in(page, console, console.api_key)
    page.goto(f"{console.url}/campaigns/{campaign_id}")
    rows = page.locator("#leads-title ~ .table-wrap tbody tr")
    status = rows.locator("td[data-label=Status]")
    for index in (0, 1):
        expect(status.nth(index)).to_contain_text("leased until")
        expect(status.nth(index)).to_contain_text(f"claim {claim['claimId']}")
    expect(status.nth(2)).to_have_text("pending")
    shoot(page, screenshots, "campaign-leased")

    page.get_by_role("button", name="Release claim").first.click()
    expect(page.get_by_role("status")).to_have_text("2 lead(s) released: back to pending.")
    expect(status).to_have_text(["pending", "pending", "pending"])
    with console.api() as api:
        again = api.post(f"/campaigns/{campaign_id}/dispatch", json={"limit": 10}).json()
        assert [lead["publicIdentifier"] for lead in again["leads"]] == [
            "lease-one",
            "lease-two",
            "lease-three",
        ]
        # Leases are not blocks: the audit trail is unchanged.
        assert api.get("/blocked-leads/events").json() == trail


def test_keyboard_only_blocking_paging_chart_and_sign_out(page: Page, console: Console) -> None:
    with console.api() as api:
        leads = [{"publicIdentifier": f"page-lead-{n:03d}"} for n in range(60)]
        api.post("/blocked-leads", json={"leads": leads})
        api.request("DELETE", "/blocked-leads", json={"publicIdentifiers": ["page-lead-000"]})
    sign_in(page, console, console.api_key)

    # Tab from the top of the page to the text box, type, tab to the button, Enter.
    page.keyboard.press("Tab")
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "identifiers":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("keyboard-lead")
    page.keyboard.press("Tab")  # reason
    page.keyboard.type("typed, not clicked")
    page.keyboard.press("Tab")  # "block for": the radio group is one stop, at "Always"
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == [
        "duration",
        "",
    ]
    page.keyboard.press("Tab")  # the date of "Until": its month, day, year and picker are stops
    assert page.evaluate("document.activeElement.id") == "until"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") != "until":
            break
    assert page.evaluate("document.activeElement.textContent") == "Block"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("1 blocked, 0 already on the blocklist.")
    assert api_blocked(console, "keyboard-lead")

    # The chart counts today's blocks and unblocks: every one of the workspace's events (other
    # tests of this module make theirs on the same server), as the API's audit trail counts them.
    with console.api() as api:
        blocks, unblocks = (
            api.get("/blocked-leads/events", params={"type": kind}).headers["X-Total-Count"]
            for kind in ("blocked", "unblocked")
        )
    chart = page.get_by_role("img", name="Blocks and unblocks per day over the last 90 days")
    expect(chart).to_have_attribute(
        "aria-label",
        "Blocks and unblocks per day over the last 90 days: "
        f"{blocks} blocks and {unblocks} unblocks",
    )
    assert page.locator(".chart rect.blocked").count() == 1  # all of them today
    assert page.locator(".chart rect.unblocked").count() == 1

    # Cursor paging: 50 a page, newest first, the next page starts where the first ended.
    page.get_by_label("Search identifiers and reasons").press_sequentially("page-lead", delay=20)
    expect(page.locator("#result-count")).to_have_text("59 blocked leads matching “page-lead”")
    identifiers = page.locator("#results tbody tr td:first-child code")
    newest_first = [f"page-lead-{n:03d}" for n in range(59, 0, -1)]
    expect(identifiers).to_have_text(newest_first[:50])
    page.get_by_role("link", name="Next page").click()
    expect(identifiers).to_have_text(newest_first[50:])
    page.get_by_role("link", name="First page").click()
    expect(identifiers).to_have_text(newest_first[:50])

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{console.url}/sign-in")
    page.goto(f"{console.url}/blocklist")
    expect(page).to_have_url(f"{console.url}/sign-in")


# Text that belongs only to an import under way, a failure, or the moment after an action:
# none of it may show on a page that has just been opened.
NOT_WHEN_IDLE = (
    "Uploading",
    "Checking rows",
    "Blocking…",
    "Done",
    "Imported",
    "invalid row",
    "was refused",
    "could not finish",
    "failed unexpectedly",
    "Nothing was blocked",
    "Line 1:",
    "Copied.",
    "Press Ctrl+C",
    "Not allowed",
    "not sent from this console page",
    "Enter at least one",
)


def assert_idle(page: Page, where: str) -> None:
    """Nothing of an in-progress or error state is visible: no such text, no progress bar, no
    alert, and no element marked `hidden` is rendered whatever the stylesheet says."""
    text = page.locator("body").inner_text()  # skips what is not rendered
    shown = [phrase for phrase in NOT_WHEN_IDLE if phrase in text]
    assert not shown, f"{where} shows {shown} before anything was done"
    for selector in ("progress", "[role=alert]", ".error", "[hidden]"):
        for element in page.locator(selector).all():
            expect(element, f"{where}: {selector} is visible").to_be_hidden()


def test_idle_pages_show_no_progress_or_error(page: Page, console: Console) -> None:
    with console.api() as api:
        blocked = api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "idle-lead"}]})
        lead_id = blocked.json()["leads"][0]["id"]
        campaign_id = api.post("/campaigns", json={"name": "Idle campaign"}).json()["id"]
    page.goto(f"{console.url}/sign-in")
    assert_idle(page, "sign-in")
    sign_in(page, console, console.api_key)
    for path in (
        "/blocklist",
        "/transfer",
        "/campaigns",
        f"/campaigns/{campaign_id}",
        "/audit",
        "/keys",
        f"/blocklist/{lead_id}",
    ):
        page.goto(f"{console.url}{path}")
        assert_idle(page, path)
    # The import page before any file is chosen: no "Uploading…", no empty bar.
    page.goto(f"{console.url}/transfer")
    expect(page.locator("#import-progress")).to_be_hidden()
    expect(page.locator("#import-phase")).to_be_hidden()


# Every table of a page, column by column: where its header and cells are drawn.
MEASURE_TABLES = """() => {
  const box = (element) => {
    if (!element.checkVisibility()) return null;
    const rect = element.getBoundingClientRect();
    return {left: rect.left, right: rect.right};
  };
  return [...document.querySelectorAll("main table")].map((table) => {
    const heads = [...table.tHead.rows[0].cells];
    const rows = [...table.tBodies[0].rows].filter((row) => row.cells.length === heads.length);
    const frame = table.closest(".table-wrap") || table;
    return {
      name: table.id || heads.map((th) => th.textContent.trim()).join("|"),
      scrolls: frame.scrollWidth - frame.clientWidth,
      columns: heads.map((th, index) => ({
        name: th.textContent.trim(),
        named: !th.querySelector(".sr-only"),
        header: box(th),
        cells: rows.map((row) => ({
          box: box(row.cells[index]),
          label: row.cells[index].dataset.label ?? null,
          overflow: row.cells[index].scrollWidth - row.cells[index].clientWidth,
        })),
      })),
    };
  });
}"""


def assert_tables_fit(page: Page, where: str, tables: int) -> None:
    """At the page's width, every column of every table is on screen: its header (or, where
    rows are shown as cards, a label naming it in each cell) and every cell lie within the
    viewport, nothing is cut or scrolls inside the table's frame, and the page does not
    scroll sideways."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    measured = page.evaluate(MEASURE_TABLES)
    assert len(measured) == tables, f"{where}: {len(measured)} tables"

    def inside(box: dict[str, float] | None) -> bool:
        return box is not None and box["left"] >= -0.5 and box["right"] <= width + 0.5

    for table in measured:
        at = f"{where} at {width} px, table {table['name']}"
        assert table["scrolls"] <= 0, f"{at} scrolls inside its frame by {table['scrolls']} px"
        for column in table["columns"]:
            if column["header"] is not None:
                assert inside(column["header"]), f"{at}: header {column['name']} off screen"
            assert column["cells"], f"{at}: no rows to measure"
            for cell in column["cells"]:
                assert inside(cell["box"]), f"{at}: a {column['name']} cell is off screen"
                assert cell["overflow"] <= 0, f"{at}: a {column['name']} cell is cut"
                if column["header"] is None and column["named"]:
                    assert cell["label"] == column["name"], f"{at}: {column['name']} unnamed"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where} at {width} px scrolls sideways by {overflow} px"


# The screenshot widths, and a tablet's just above where rows turn into cards.
TABLE_WIDTHS = [*WIDTHS.values(), (800, 1000)]


def test_tables_fit_a_phone_with_long_values(
    page: Page, console: Console, screenshots: Path, tmp_path: Path
) -> None:
    # The longest identifier there is, reasons and names with words too long for a line.
    long_id = "phone-" + "a1b2c3d4e5" * 9 + "wxyz"
    camp_id = "phonecamp-" + "f6g7h8i9j0" * 9
    assert len(long_id) == len(camp_id) == 100
    reason = ("Asked-us-to-stop-" + "q" * 180 + " and said so again on the phone. ") * 2
    campaign_name = "Outreach-" + "n" * 191
    with console.api() as api:
        blocked = api.post(
            "/blocked-leads", json={"leads": [{"publicIdentifier": long_id, "reason": reason}]}
        )
        lead_id = blocked.json()["leads"][0]["id"]
        campaign_id = api.post("/campaigns", json={"name": campaign_name}).json()["id"]
        api.post(
            f"/campaigns/{campaign_id}/blocked-leads",
            json={"publicIdentifiers": [camp_id], "reason": reason},
        )
        contact = {
            "firstName": "Maximiliana-" + "m" * 60,
            "lastName": "Vandenberghe-" + "v" * 60,
            "companyName": "Consolidated-" + "c" * 120,
            "email": "someone." + "e" * 60 + "@" + "d" * 60 + ".example",
        }
        leads = [
            {"publicIdentifier": long_id, **contact},
            {"publicIdentifier": camp_id, **contact},
            {"publicIdentifier": "phone-free"},
        ]
        api.post(f"/campaigns/{campaign_id}/leads", json={"leads": leads})
    sign_in(page, console, console.api_key)
    page.goto(f"{console.url}/keys")
    page.get_by_label("Name (who or what uses it)").fill("Integration-" + "k" * 88)
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("button", name="Copy to clipboard")).to_be_visible()

    pages = {
        "blocklist-long": (f"/blocklist?search={long_id}", 1),
        "campaign-long": (f"/campaigns/{campaign_id}", 2),
        "campaigns-long": ("/campaigns", 1),
        "keys-long": ("/keys", 1),
        # No tables, but the same long values: the page must not scroll sideways either.
        "lead-long": (f"/blocklist/{lead_id}", 0),
        "audit-long": (f"/audit?identifier={long_id}", 0),
    }
    for name, (path, tables) in pages.items():
        page.goto(f"{console.url}{path}")
        for width, height in TABLE_WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            assert_tables_fit(page, path, tables)
        shoot(page, screenshots, name)

    bad = tmp_path / "long.csv"
    bad.write_bytes(_csv([("long value! " + "w" * 300, reason[:500]), ("ok-row", "")]))
    page.goto(f"{console.url}/transfer")
    page.get_by_label("CSV file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-errors tbody tr")).to_have_count(1)
    for width, height in TABLE_WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert_tables_fit(page, "/transfer", 1)
    shoot(page, screenshots, "import-errors-long")


def reload_posts_nothing(page: Page) -> None:
    """Reload the page, as a user does after a failure; nothing may be sent again."""
    posts: list[str] = []

    def note(request: Request) -> None:
        if request.method != "GET":
            posts.append(f"{request.method} {request.url}")

    page.on("request", note)
    page.reload()
    page.remove_listener("request", note)
    assert not posts, f"reloading the page sent the form again: {posts}"


def test_reloading_after_a_failed_paste_sends_nothing_again(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    pasted = "reload-one\nnot a profile!"
    box = page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line")
    box.fill(pasted)
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator(".line-errors li")).to_have_text(
        [f"Line 2: not a profile! — {NOT_ALLOWED_SPACE}"]
    )
    expect(box).to_have_value(pasted)  # kept for correcting
    reload_posts_nothing(page)
    expect(page).to_have_url(f"{console.url}/blocklist")
    expect(page.get_by_role("heading", level=1)).to_have_text("Blocklist")
    expect(page.locator(".line-errors")).to_have_count(0)
    assert not api_blocked(console, "reload-one")

    # Corrected, it blocks; reloading what follows sends nothing either.
    box.fill("reload-one")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("1 blocked, 0 already on the blocklist.")
    reload_posts_nothing(page)
    assert api_blocked(console, "reload-one")


CAMPAIGN_NAME_EMPTY = "Campaign name is empty."


def test_no_form_answer_is_a_post_result_a_reload_would_send_again(
    chromium: Browser, page: Page, console: Console
) -> None:
    sign_in(page, console, console.api_key)

    page.goto(f"{console.url}/campaigns")
    page.get_by_label("Name").fill("   ")  # not empty for the browser, empty for the server
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_have_text(CAMPAIGN_NAME_EMPTY)
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    reload_posts_nothing(page)
    expect(page).to_have_url(f"{console.url}/campaigns")

    page.get_by_label("Name").fill("Reload campaign")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reload campaign")
    campaign_url = page.url
    field = page.get_by_label("Public identifiers or profile URLs to block in this campaign")
    field.fill("reload-camp\nbad entry!")
    page.get_by_role("button", name="Block in campaign").click()
    expect(page.locator(".line-errors li")).to_have_text(
        [f"Line 2: bad entry! — {NOT_ALLOWED_SPACE}"]
    )
    expect(field).to_have_value("reload-camp\nbad entry!")
    expect(field).to_be_focused()  # where the correction is typed
    reload_posts_nothing(page)
    expect(page).to_have_url(campaign_url)
    expect(page.locator(".line-errors")).to_have_count(0)

    # A new key is shown once; reloading must not make another one.
    page.goto(f"{console.url}/keys")
    keys_before = page.locator("tbody tr").count()
    page.get_by_label("Name (who or what uses it)").fill("reload key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_label("Read-write key “reload key”")).to_have_value(re.compile("^lb_"))
    reload_posts_nothing(page)
    expect(page).to_have_url(f"{console.url}/keys")
    expect(page.locator("tbody tr")).to_have_count(keys_before + 1)

    # A lead removed meanwhile (another tab, the API): the console's answer is an error page.
    with console.api() as api:
        made = api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "reload-gone"}]})
        lead_id = made.json()["leads"][0]["id"]
        page.goto(f"{console.url}/blocklist/{lead_id}")
        api.delete(f"/blocked-leads/{lead_id}")
    page.get_by_role("button", name="Save reason").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("404 — Not found")
    expect(page.get_by_role("alert")).to_have_text("Blocked lead not found.")
    reload_posts_nothing(page)
    expect(page).to_have_url(f"{console.url}/blocklist/{lead_id}")

    # Signing in with a wrong key.
    stranger = chromium.new_context().new_page()
    try:
        stranger.goto(f"{console.url}/sign-in")
        stranger.get_by_label("API key").fill("lb_wrong")
        stranger.keyboard.press("Enter")
        expect(stranger.get_by_role("alert")).to_have_text("Invalid or revoked API key.")
        reload_posts_nothing(stranger)
        expect(stranger).to_have_url(f"{console.url}/sign-in")
    finally:
        stranger.context.close()


def test_forms_work_without_javascript(chromium: Browser, console: Console) -> None:
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, console, console.api_key)
        box = page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line")
        box.fill("nojs-lead\nno js!")
        page.get_by_role("button", name="Block", exact=True).click()
        expect(page.locator(".line-errors li")).to_have_text(
            [f"Line 2: no js! — {NOT_ALLOWED_SPACE}"]
        )
        expect(box).to_have_value("nojs-lead\nno js!")
        box.fill("nojs-lead")
        page.get_by_role("button", name="Block", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("1 blocked, 0 already on the blocklist.")
        assert api_blocked(console, "nojs-lead")
    finally:
        context.close()


def test_back_after_searching_shows_the_whole_page(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    search = page.get_by_label("Search identifiers and reasons")
    search.press_sequentially("first", delay=30)
    expect(page).to_have_url(f"{console.url}/blocklist?search=first")
    search.fill("")
    search.press_sequentially("second", delay=30)
    expect(page).to_have_url(f"{console.url}/blocklist?search=second")
    page.go_back()
    expect(page).to_have_url(f"{console.url}/blocklist?search=first")
    expect(page.get_by_role("heading", level=1)).to_have_text("Blocklist")
    expect(page.get_by_label("Search identifiers and reasons")).to_have_value("first")
    # Other tests of this module may have blocked leads matching "first": count them as the
    # API does.
    with console.api() as api:
        total = int(api.get("/blocked-leads", params={"search": "first"}).headers["X-Total-Count"])
    count = f"{total:,} blocked lead{'' if total == 1 else 's'} matching “first”"
    expect(page.locator("#result-count")).to_have_text(count)


def test_a_form_that_cannot_reach_the_server_says_so(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    page.route("**/console/blocklist/add", lambda route: route.abort("connectionrefused"))
    box = page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line")
    box.fill("unreachable-lead")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "The console could not be reached; check the connection and send again."
    )
    expect(box).to_have_value("unreachable-lead")  # nothing typed is lost
    expect(page.get_by_role("button", name="Block", exact=True)).to_be_enabled()
    page.unroute("**/console/blocklist/add")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("1 blocked, 0 already on the blocklist.")


def test_company_blocks_add_by_paste_show_what_they_stop_and_remove(
    page: Page, console: Console, screenshots: Path
) -> None:
    with console.api() as api:
        campaign = api.post("/campaigns", json={"name": "companies"}).json()["id"]
        leads = [
            {"publicIdentifier": "acme-one", "email": "one@acme-console.com"},
            {"publicIdentifier": "acme-two", "companyDomain": "eu.acme-console.com"},
        ]
        assert api.post(f"/campaigns/{campaign}/leads", json={"leads": leads}).status_code == 200
    sign_in(page, console, console.api_key)
    page.get_by_role("link", name="Companies").click()
    paste = page.get_by_label("LinkedIn company pages or domains, one per line", exact=False)
    # A bare word is read as a LinkedIn company slug, and a slug this is; a single-label
    # domain it is not: the line that fails is one with a space.
    paste.fill("acme-console.com\nhttps://www.linkedin.com/company/globex-console/\nno such co")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator(".line-errors li")).to_have_text(
        [
            "Line 3: no such co — linkedinCompany contains a character that is not allowed: "
            "U+0020 SPACE"
        ]
    )
    paste.fill("acme-console.com\nhttps://www.linkedin.com/company/globex-console/")
    page.get_by_label("Reason (optional, for every line)").fill("client")
    page.get_by_label("90 days").check()
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("2 blocked, 0 already blocked.")
    acme = page.get_by_role("row", name=re.compile("acme-console.com"))
    expect(acme).to_contain_text("2 leads")
    expect(acme).to_contain_text(re.compile(r"until \d{4}-\d\d-\d\d"))
    expect(page.get_by_role("row", name=re.compile("globex-console"))).to_contain_text("0 leads")
    shoot(page, screenshots, "companies")
    page.get_by_label("Search companies, names and reasons").fill("globex")
    expect(page.locator("#result-count")).to_have_text("1 blocked company matching “globex”")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove globex-console").click()
    expect(page.get_by_role("status")).to_have_text("The company block was removed.")
    with console.api() as api:
        sent = api.post(f"/campaigns/{campaign}/dispatch", json={}).json()["leads"]
        assert sent == []  # acme-console.com still stops both


def test_a_block_for_thirty_days_shows_its_end(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    page.get_by_label("Public identifiers or LinkedIn profile URLs, one per line").fill(
        "snoozed-in-console"
    )
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("1 blocked, 0 already on the blocklist.")
    row = page.get_by_role("row", name=re.compile("snoozed-in-console"))
    expect(row).to_contain_text(re.compile(r"until \d{4}-\d\d-\d\d"))
    with console.api() as api:
        answer = api.get("/blocked-leads/check", params={"publicIdentifier": "snoozed-in-console"})
        assert answer.json()["results"][0]["expiresAt"] is not None


def test_webhooks_add_watch_test_disable_rotate_and_delete(
    page: Page, console: Console, receiver: Receiver, screenshots: Path
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, console, console.api_key)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    # A destination inside the network is refused, saying why; what was typed stays.
    page.get_by_label("Endpoint URL (https)").fill("https://10.0.0.5/hook")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("10.0.0.5 is a private address")
    expect(page.get_by_label("Endpoint URL (https)")).to_be_focused()

    path = receiver.new_path()
    page.get_by_label("Endpoint URL (https)").fill(receiver.url(path))
    page.get_by_label("Description (optional)").fill("CRM sync")
    page.get_by_label("blocked", exact=True).check()
    page.get_by_label("unblocked", exact=True).check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Endpoint added")
    secret = page.get_by_label(re.compile("Signing secret of")).input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy to clipboard").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    receiver.verify_with(path, secret)
    shoot(page, screenshots, "webhook-secret")

    with console.api() as api:
        api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "hooked-lead"}]})
    [item] = receiver.wait_for(path, 1)
    assert item.verified
    page.get_by_role("link", name="Go to the endpoint").click()
    expect(page.locator(".facts dd").first).to_have_text("blocked, unblocked")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_contain_text("blocked")
    expect(rows.first.locator("td").nth(3)).to_have_text("succeeded")
    expect(rows.first.locator("td").nth(4)).to_have_text("HTTP 200")

    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_role("status")).to_have_text("Test event: succeeded (HTTP 200)")
    assert receiver.got(path)[-1].payload["type"] == "webhook.test"
    receiver.behave(path, Behaviour(status=500, times=1))
    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_role("status")).to_have_text("Test event: failed (HTTP 500)")
    expect(rows).to_have_count(3)
    expect(rows.first.locator("td").nth(4)).to_have_text("HTTP 500")
    shoot(page, screenshots, "webhook")

    page.get_by_role("button", name="Disable").click()
    expect(page.locator(".facts dd").nth(1)).to_have_text("disabled")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator(".facts dd").nth(1)).to_have_text("enabled")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Rotate secret…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Secret rotated")
    rotated = page.get_by_label(re.compile("Signing secret of")).input_value()
    assert rotated not in (secret, "")
    receiver.verify_with(path, secret, rotated)
    with console.api() as api:
        api.post("/blocked-leads", json={"leads": [{"publicIdentifier": "after-rotation"}]})
    received = receiver.wait_for(path, 3)
    assert received[-1].verified_with == [True, True]

    page.get_by_role("link", name="Go to the endpoint").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("status")).to_have_text("The webhook was deleted.")
    expect(page.locator("tbody tr")).to_have_text(["No endpoint yet."])


def test_a_read_only_key_sees_webhooks_but_cannot_change_them(page: Page, console: Console) -> None:
    sign_in(page, console, console.read_only_key)
    page.goto(f"{console.url}/webhooks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_role("button", name="Add endpoint")).to_have_count(0)


def test_a_campaign_block_until_a_date_shows_its_end(page: Page, console: Console) -> None:
    sign_in(page, console, console.api_key)
    campaign_id = create_campaign(page, console, "Until spring")
    field = page.get_by_label("Public identifiers or profile URLs to block in this campaign")
    field.fill("snoozed-in-campaign")
    # "Until" with no date says what to choose, and blocks nothing.
    page.get_by_label("Until", exact=True).check()
    page.get_by_role("button", name="Block in campaign").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Choose how long to block: always, 30 or 90 days, or until a date."
    )
    day = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%d")
    page.get_by_label("Until", exact=True).check()
    page.get_by_label("Until date").fill(day)
    page.get_by_role("button", name="Block in campaign").click()
    expect(page.get_by_role("status")).to_have_text(
        "1 blocked in this campaign, 0 already blocked in it."
    )
    row = page.locator("#blocks-title ~ .table-wrap tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"until {day}")
    with console.api() as api:
        [block] = api.get(f"/campaigns/{campaign_id}/blocked-leads").json()
        assert (block["publicIdentifier"], block["expiresAt"]) == (
            "snoozed-in-campaign",
            f"{day}T00:00:00.000Z",
        )
