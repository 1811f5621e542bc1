"""A body as large as the limit allows, of identifiers padded with as much white space as they
may carry, is canonicalised in linear time, and another client keeps being answered meanwhile."""

from __future__ import annotations

import threading
import time

import httpx
import orjson
import pytest

from tests.conftest import TenantFixture

LIMIT = 16 * 1024 * 1024
PADDING = " " * 790 + "\u200b\u00a0"  # 792 trimmable characters each side


@pytest.mark.slow
def test_a_16_mib_check_of_padded_identifiers_leaves_other_clients_served(
    tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    tenant.client.post("/blocked-leads", json={"leads": [{"publicIdentifier": "lead-00007"}]})
    identifiers = [f"{PADDING}lead-{number:05d}{PADDING}" for number in range(10_000)]
    body = orjson.dumps({"publicIdentifiers": identifiers})
    # As close to the limit as 10,000 entries of at most 2,048 characters get.
    assert LIMIT - 2 * 1024 * 1024 < len(body) <= LIMIT

    latencies: list[float] = []
    done = threading.Event()

    def other_client() -> None:
        with httpx.Client(base_url=str(other_tenant.client.base_url), timeout=30) as client:
            client.headers["x-api-key"] = other_tenant.api_key
            while not done.is_set():
                started = time.monotonic()
                assert client.get("/blocked-leads?limit=1").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)

    watcher = threading.Thread(target=other_client)
    watcher.start()
    try:
        response = tenant.client.post(
            "/blocked-leads/check", content=body, headers={"content-type": "application/json"}
        )
    finally:
        done.set()
        watcher.join()
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert [result["publicIdentifier"] for result in results] == [
        f"lead-{number:05d}" for number in range(10_000)
    ]
    assert [result["blocked"] for result in results] == [number == 7 for number in range(10_000)]
    # The other client was answered throughout, never stalled behind the large request.
    assert len(latencies) >= 3
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
