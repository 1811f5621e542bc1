"""Per-key rate limits: 429 with Retry-After and RateLimit-* headers, in one process or shared
by several through a real Redis; a Redis outage lets requests through."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from leadblock.config import Settings
from leadblock.services import workspaces
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from tests.redis import redis_server
from tests.server import Server, free_port, running_server
from tests.shapes import error

# A window much longer than any test, so the outcome never depends on timing.
LIMIT = "5/hour"
# The window starts with its first request: what is left of it when a test looks is all that
# depends on time, in whole seconds, from 1 to the whole hour.
WINDOW_S = 3600
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def assert_refused(answer: httpx.Response, limit: str, whose: str) -> None:
    """A 429 in the envelope, its message, Retry-After and RateLimit-* headers agreeing on when
    the window ends."""
    assert answer.status_code == 429
    reset = answer.headers["Retry-After"]
    assert 0 < int(reset) <= WINDOW_S
    message = f"Rate limit of {limit} exceeded for {whose}; retry in {reset} s."
    assert answer.json() == error("rate_limited", message)
    amount = limit.split()[0]
    assert {name: answer.headers[name] for name in RATE_LIMIT_HEADERS} == {
        "RateLimit-Limit": amount,
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": reset,
    }


@pytest.fixture
def sqlite_with_keys(tmp_path: Path) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    database = Database(Settings(database_url=url))
    migrate(database)
    with database.transaction(write=True) as tx:
        keys = [workspaces.create_workspace(tx, name)[2] for name in ("first", "second")]
    database.dispose()
    return url, keys


def check(server: Server, key: str | None) -> httpx.Response:
    headers = {"x-api-key": key} if key else {}
    return httpx.get(
        f"{server.api}/blocked-leads/check", params={"publicIdentifier": "x-y"}, headers=headers
    )


def test_a_key_over_its_limit_gets_429_and_others_do_not(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (first, second) = sqlite_with_keys
    with running_server(url, tmp_path / "server.log", LEADBLOCK_RATE_LIMIT=LIMIT) as server:
        remaining = []
        for _ in range(5):
            response = check(server, first)
            assert response.status_code == 200
            assert response.headers["RateLimit-Limit"] == "5"
            assert 0 < int(response.headers["RateLimit-Reset"]) <= WINDOW_S
            remaining.append(response.headers["RateLimit-Remaining"])
        assert remaining == ["4", "3", "2", "1", "0"]

        assert_refused(check(server, first), "5 per 1 hour", "this API key")
        # Writes are refused too, and nothing is written.
        body = {"leads": [{"publicIdentifier": "over-the-limit"}]}
        write = httpx.post(f"{server.api}/blocked-leads", json=body, headers={"x-api-key": first})
        assert_refused(write, "5 per 1 hour", "this API key")

        assert [check(server, second).headers["RateLimit-Remaining"] for _ in range(2)] == [
            "4",
            "3",
        ]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        assert connection.execute("SELECT count(*) FROM blocked_leads").fetchone() == (0,)


def test_refusals_after_the_key_was_charged_tell_its_budget_too(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (key, _second) = sqlite_with_keys
    with running_server(url, tmp_path / "server.log", LEADBLOCK_RATE_LIMIT=LIMIT) as server:
        api = httpx.Client(base_url=server.api, headers={"x-api-key": key})
        # Charged, then refused: not found (a record, a campaign), invalid input the service
        # finds. Each counts, and says what is left.
        refusals = [
            api.get("/blocked-leads/0123456789abcdef0123456789abcdef"),
            api.get("/blocked-leads/check", params={"publicIdentifier": "a-b", "campaignId": "x"}),
            api.get("/blocked-leads", params={"cursor": "not-a-cursor-of-ours"}),
        ]
        assert [answer.status_code for answer in refusals] == [404, 404, 400]
        assert [answer.headers["RateLimit-Remaining"] for answer in refusals] == ["4", "3", "2"]
        assert all(answer.headers["RateLimit-Limit"] == "5" for answer in refusals)
        # Refused before the key was looked at (a body that is not JSON): not charged, no
        # budget to tell.
        unread = api.post("/blocked-leads", content=b"{nope")
        assert unread.status_code == 400
        assert "RateLimit-Remaining" not in unread.headers
        assert check(server, key).headers["RateLimit-Remaining"] == "1"
        # A failed key is charged to the address: nothing about any key's budget.
        assert "RateLimit-Remaining" not in check(server, "lb_nope").headers
        api.close()


FAILURES = "3/hour"


MISSING_KEY = error("unauthenticated", "Missing API key: send it in the x-api-key header.")
INVALID_KEY = error("unauthenticated", "Invalid or revoked API key.")
NOT_BLOCKED = {
    "success": True,
    "results": [
        {
            "input": "x-y",
            "publicIdentifier": "x-y",
            "blocked": False,
            "scope": None,
            "reason": None,
            "blockedAt": None,
            "expiresAt": None,
            "contactable": True,
        }
    ],
}


def bad_keys(good: str) -> list[str | None]:
    """A missing, a malformed, an unknown and a wrong key: each one a failed authentication."""
    key_id = good.split("_")[1]
    return [None, "lb_nope", "lb_0123456789abcdef_" + "A" * 43, f"lb_{key_id}_" + "B" * 43]


def test_failed_keys_are_charged_to_the_address_and_stop_before_the_key_lookup(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (first, second) = sqlite_with_keys
    with running_server(
        url,
        tmp_path / "server.log",
        LEADBLOCK_RATE_LIMIT=LIMIT,
        LEADBLOCK_AUTH_FAILURE_RATE_LIMIT=FAILURES,
    ) as server:
        assert check(server, first).status_code == 200  # verified before the attack
        answers = [check(server, key) for key in bad_keys(first)]
        assert [answer.json() for answer in answers[:3]] == [MISSING_KEY, INVALID_KEY, INVALID_KEY]
        assert [answer.status_code for answer in answers[:3]] == [401] * 3
        # The wrong secret of a real key id: charged before it is looked up, so already refused.
        assert_refused(answers[3], "3 per 1 hour", "failed keys")
        refused = check(server, "lb_fedcba9876543210_" + "C" * 43)
        assert_refused(refused, "3 per 1 hour", "failed keys")

        # A key this server verified before passes the address's spent budget; one it never
        # verified does not, even a real one: guesses stop before the database.
        assert check(server, first).status_code == 200
        assert check(server, second).status_code == 429  # never verified from this address


def test_a_victims_key_id_with_wrong_secrets_never_spends_the_victims_budget(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (victim, _other) = sqlite_with_keys
    wrong_secret = victim[: -len("AAAA")] + ("AAAA" if not victim.endswith("AAAA") else "BBBB")
    with running_server(
        url,
        tmp_path / "server.log",
        LEADBLOCK_RATE_LIMIT=LIMIT,
        LEADBLOCK_AUTH_FAILURE_RATE_LIMIT="150/hour",
    ) as server:
        answers = [check(server, wrong_secret) for _ in range(155)]
        assert [answer.status_code for answer in answers] == [401] * 150 + [429] * 5
        assert [answer.json() for answer in answers[:150]] == [INVALID_KEY] * 150
        for refused in answers[150:]:
            assert_refused(refused, "150 per 1 hour", "failed keys")
    # The victim, from another address, keeps its whole budget, and its headers describe it.
    with running_server(url, tmp_path / "server-2.log", LEADBLOCK_RATE_LIMIT=LIMIT) as server:
        first = check(server, victim)
        assert first.status_code == 200
        assert first.headers["RateLimit-Remaining"] == "4"


def test_a_second_key_header_is_refused_so_no_budget_can_be_dodged(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (first, _second) = sqlite_with_keys
    with running_server(url, tmp_path / "server.log", LEADBLOCK_RATE_LIMIT=LIMIT) as server:
        for number in range(8):
            random_id = f"lb_{number:016x}_" + "D" * 43
            response = httpx.get(
                f"{server.api}/blocked-leads/check",
                params={"publicIdentifier": "x-y"},
                headers=[("x-api-key", first), ("x-api-key", random_id)],
            )
            assert response.status_code == 400
            assert response.json() == {
                "success": False,
                "code": "invalid_input",
                "message": "Send one x-api-key header, not 2.",
                "errors": [],
            }
        answers = [check(server, first) for _ in range(6)]
        assert [answer.status_code for answer in answers] == [200] * 5 + [429]
        assert_refused(answers[5], "5 per 1 hour", "this API key")


def test_processes_share_limits_through_redis(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (first, _second) = sqlite_with_keys
    with redis_server() as redis_url, ExitStack() as stack:
        servers = [
            stack.enter_context(
                running_server(
                    url,
                    tmp_path / f"server-{number}.log",
                    LEADBLOCK_RATE_LIMIT=LIMIT,
                    LEADBLOCK_REDIS_URL=redis_url,
                )
            )
            for number in range(2)
        ]
        answers = [check(servers[number % 2], first) for number in range(7)]
        assert [answer.headers["RateLimit-Remaining"] for answer in answers] == [
            "4",
            "3",
            "2",
            "1",
            "0",
            "0",
            "0",
        ]
        assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 2
        for refused in answers[5:]:
            assert_refused(refused, "5 per 1 hour", "this API key")


def test_an_unreachable_redis_lets_requests_through(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (first, _second) = sqlite_with_keys
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with running_server(
        url, tmp_path / "server.log", LEADBLOCK_RATE_LIMIT=LIMIT, LEADBLOCK_REDIS_URL=nowhere
    ) as server:
        answers = [check(server, first) for _ in range(7)]
        assert [answer.status_code for answer in answers] == [200] * 7
        assert [answer.json() for answer in answers] == [NOT_BLOCKED] * 7
        # Let through without a budget to describe: no RateLimit-* headers.
        assert [
            name for answer in answers for name in RATE_LIMIT_HEADERS if name in answer.headers
        ] == []
    warnings = [
        line
        for line in (tmp_path / "server.log").read_text().splitlines()
        if "rate limiter unavailable" in line
    ]
    # One a request for its key's budget, and one more for the address's failure budget, asked
    # once: until a key has been verified by this process.
    assert len(warnings) == 8
