"""Per-key rate limits: 429 with Retry-After and RateLimit-* headers, in one process or shared
by several through a real Redis; a Redis outage lets requests through."""

from __future__ import annotations

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

# A window much longer than any test, so the outcome never depends on timing.
LIMIT = "5/hour"


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
            assert int(response.headers["RateLimit-Reset"]) > 0
            remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]

        refused = check(server, first)
        assert refused.status_code == 429
        assert refused.json()["success"] is False
        assert "Rate limit" in refused.json()["message"]
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.headers["RateLimit-Remaining"] == "0"
        # Writes are refused too, and nothing is written.
        body = {"leads": [{"publicIdentifier": "over-the-limit"}]}
        write = httpx.post(f"{server.api}/blocked-leads", json=body, headers={"x-api-key": first})
        assert write.status_code == 429

        assert check(server, second).status_code == 200
        assert check(server, second).headers["RateLimit-Remaining"] == "3"


FAILURES = "3/hour"


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
        statuses = [check(server, key).status_code for key in bad_keys(first)]
        assert statuses == [401, 401, 401, 429]
        refused = check(server, "lb_fedcba9876543210_" + "C" * 43)
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0

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
        statuses = [check(server, wrong_secret).status_code for _ in range(155)]
        assert statuses == [401] * 150 + [429] * 5
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
        statuses = [check(server, first).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]


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
        statuses = [check(servers[number % 2], first).status_code for number in range(7)]
        assert statuses == [200] * 5 + [429] * 2


def test_an_unreachable_redis_lets_requests_through(
    sqlite_with_keys: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, (first, _second) = sqlite_with_keys
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with running_server(
        url, tmp_path / "server.log", LEADBLOCK_RATE_LIMIT=LIMIT, LEADBLOCK_REDIS_URL=nowhere
    ) as server:
        assert [check(server, first).status_code for _ in range(7)] == [200] * 7
        assert "rate limiter unavailable" in (tmp_path / "server.log").read_text()
