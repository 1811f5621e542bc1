"""The sender's loop, lease → confirm → message → release, as one plan (plans.py) that
`Client.send_batch` and `AsyncClient.send_batch` run.

Why this shape (the same as examples/sender.py in the leadblock repository):
- Lease: a batch is this sender's until it confirms or releases its leads, or the lease runs
  out; if the sender dies, the leads it never confirmed are handed out again after the lease.
- Confirm each lead right before its message: a block can arrive at any moment, and messages
  go out slowly. Only a confirmed lead is messaged; a lead confirm reports `blocked` is not.
- Release: a confirmed lead whose message failed goes back to pending for a later batch; so do
  the leased leads not reached when the gate cannot be reached (then the error is raised).
- Every call is retried under its own Idempotency-Key (retries.py): a retried dispatch gets the
  same claim, a retried confirm the same verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadblock_client import endpoints
from leadblock_client.models import CampaignLead
from leadblock_client.plans import Deliver, Plan
from leadblock_client.retries import Retry, exchange


@dataclass(frozen=True, slots=True)
class SendSummary:
    """What became of a batch."""

    sent: tuple[CampaignLead, ...] = ()  # confirmed and messaged: now dispatched
    blocked: tuple[CampaignLead, ...] = ()  # stopped by a block at confirm time: not messaged
    failed: tuple[CampaignLead, ...] = ()  # confirmed, but `send` raised: released
    not_held: tuple[str, ...] = ()  # ids the claim no longer held at confirm time

    @property
    def empty(self) -> bool:
        """Nothing was eligible: wait a while before asking again."""
        return not (self.sent or self.blocked or self.failed or self.not_held)


def send_batch(campaign_id: str, size: int, lease_seconds: int, retry: Retry) -> Plan[SendSummary]:
    """Lease up to `size` leads; for each, confirm, then deliver (the user's `send`) or not;
    release what could not be messaged."""
    dispatch = endpoints.dispatch_leads(campaign_id, limit=size, lease_seconds=lease_seconds)
    leased = yield from exchange(dispatch, retry)
    if leased.claim_id is None or not leased.leads:
        return SendSummary()
    claim_id = leased.claim_id

    def release(leads: Sequence[CampaignLead]) -> Plan[object]:
        lead_ids = [lead.id for lead in leads]
        return exchange(endpoints.release_claim(campaign_id, claim_id, lead_ids), retry)

    sent: list[CampaignLead] = []
    blocked: list[CampaignLead] = []
    failed: list[CampaignLead] = []
    not_held: list[str] = []
    for index, lead in enumerate(leased.leads):
        try:
            gate = yield from exchange(
                endpoints.confirm_claim(campaign_id, claim_id, [lead.id]), retry
            )
        except Exception as unreachable:
            # The gate cannot be reached: hand this lead and the rest back, message nobody.
            # Raised is why the gate failed; a release that fails too (the lease then hands
            # the leads back when it runs out) is a note on it.
            try:
                yield from release(leased.leads[index:])
            except Exception as also:
                unreachable.add_note(f"releasing the unsent leads failed too: {also}")
            raise
        blocked += [entry.lead for entry in gate.blocked]
        not_held += gate.not_held
        for confirmed in gate.confirmed:
            try:
                yield Deliver(confirmed)
            except Exception:
                failed.append(confirmed)
                yield from release([confirmed])
            else:
                sent.append(confirmed)
    return SendSummary(tuple(sent), tuple(blocked), tuple(failed), tuple(not_held))
