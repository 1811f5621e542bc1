"""A sender on leadblock: lease a batch, confirm each lead right before messaging it, message
exactly the confirmed ones, and release what could not be messaged.

    pip install httpx
    LEADBLOCK_KEY=lb_… python examples/sender.py --api http://127.0.0.1:8000/api/v1 \\
        --campaign CAMPAIGN_ID

Why this shape:
- The lease: the leads of a batch are this sender's until it confirms or releases them, or
  the lease runs out. If the sender crashes (or its answer is lost), nothing is lost: the
  leads it never confirmed are handed out again once the lease ends.
- Confirm, one lead at a time, just before its message: a block can arrive at any moment, and
  messages go out slowly (pacing), so a confirm made for the whole batch would be minutes old
  by its last message. A confirmed lead is the only one to message; a lead confirm sends back
  (`blocked`) must not be messaged.
- Release: a confirmed lead whose message could not be sent goes back to pending for a later
  batch, as do leased leads the sender stops before reaching.
- Retries with an Idempotency-Key: every call is sent with a key of its own and retried with the
  same key when its answer is lost (timeout, dropped connection, 503, 409 while the first try
  still runs): a retried dispatch gets the same claim, not a second batch, and a retried confirm
  the same verdict.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Lead = dict[str, Any]
ATTEMPTS = 5
RETRY_STATUSES = {409, 429, 503}  # still running, rate limited, briefly unavailable


@dataclass
class Batch:
    sent: list[Lead] = field(default_factory=list)
    blocked: list[Lead] = field(default_factory=list)  # stopped by a block at confirm time
    failed: list[Lead] = field(default_factory=list)  # the message failed: released


def send_batch(
    client: httpx.Client,
    campaign_id: str,
    send: Callable[[Lead], None],
    *,
    size: int = 50,
    lease_seconds: int = 900,
) -> Batch:
    """Lease up to `size` leads, then for each: confirm, message (`send`), or release."""
    leased = _post(
        client, f"/campaigns/{campaign_id}/dispatch", {"limit": size, "leaseSeconds": lease_seconds}
    )
    batch = Batch()
    if not leased["leads"]:
        return batch
    claim = f"/campaigns/{campaign_id}/claims/{leased['claimId']}"
    for index, lead in enumerate(leased["leads"]):
        try:
            gate = _post(client, f"{claim}/confirm", {"leadIds": [lead["id"]]})
        except Exception:
            # Cannot reach the gate: hand this lead and the rest back, message nobody.
            _release(client, claim, leased["leads"][index:])
            raise
        batch.blocked += [entry["lead"] for entry in gate["blocked"]]
        for confirmed in gate["confirmed"]:
            try:
                send(confirmed)
            except Exception:
                batch.failed.append(confirmed)
                _release(client, claim, [confirmed])
            else:
                batch.sent.append(confirmed)
    return batch


def run(
    client: httpx.Client,
    campaign_id: str,
    send: Callable[[Lead], None],
    *,
    idle_seconds: float = 60,
    batches: int | None = None,
) -> None:
    """Send batch after batch; when nothing is eligible, wait `idle_seconds` and ask again."""
    done = 0
    while batches is None or done < batches:
        batch = send_batch(client, campaign_id, send)
        done += 1
        if not (batch.sent or batch.blocked or batch.failed):
            time.sleep(idle_seconds)


def _release(client: httpx.Client, claim: str, leads: list[Lead]) -> None:
    _post(client, f"{claim}/release", {"leadIds": [lead["id"] for lead in leads]})


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    """POST, retried under one Idempotency-Key until an answer arrives: done at most once."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    for attempt in range(ATTEMPTS):
        last = attempt == ATTEMPTS - 1
        try:
            response = client.post(path, json=body, headers=headers)
        except httpx.TransportError:
            if last:
                raise
            wait = 0.5 * 2**attempt
        else:
            if response.status_code not in RETRY_STATUSES or last:
                response.raise_for_status()
                return response.json()
            wait = float(response.headers.get("Retry-After", 0.5 * 2**attempt))
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000/api/v1")
    parser.add_argument("--campaign", required=True)
    args = parser.parse_args()

    def send(lead: Lead) -> None:  # replace with the real message
        print(f"messaging {lead['publicIdentifier']}")

    headers = {"x-api-key": os.environ["LEADBLOCK_KEY"]}
    with httpx.Client(base_url=args.api, headers=headers, timeout=30) as client:
        run(client, args.campaign, send)


if __name__ == "__main__":
    main()
