"""The audit trail's wire form: one event as `GET /blocked-leads/events` lists it and as every
webhook delivery carries it in `data`."""

from __future__ import annotations

from typing import Any

from leadblock.domain.records import Event, SubjectKind
from leadblock.domain.timestamps import iso, optional_iso


def event_json(event: Event) -> dict[str, Any]:
    subject: dict[str, str | None] = {kind.value: None for kind in SubjectKind}
    subject[event.subject_kind.value] = event.subject
    return {
        "id": event.id,
        "type": event.type.value,
        "at": iso(event.at),
        "keyId": event.key_id,
        **subject,
        "reason": event.reason,
        "expiresAt": optional_iso(event.expires_at),
        "scope": event.scope.value,
        "campaignId": event.campaign_id,
    }
