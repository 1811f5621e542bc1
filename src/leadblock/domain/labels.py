"""Names people give things (a campaign, an API key, a webhook's description): 1–200 characters
after trimming surrounding whitespace, no control characters but line feed and tab (the rule of
reasons: they corrupt CSV exports, terminals and logs downstream)."""

from __future__ import annotations

import re

from leadblock.domain.reasons import CONTROL_BUT_LF_TAB

MAX_LABEL_LENGTH = 200
_FORBIDDEN_CONTROL = re.compile(f"[{CONTROL_BUT_LF_TAB}\ud800-\udfff]")


class InvalidLabel(ValueError):
    """The name cannot be kept; str() says why."""


def normalise_label(text: str, what: str) -> str:
    """`text` trimmed, or `InvalidLabel` naming `what` ("Campaign name") and the rule broken."""
    trimmed = text.strip()
    if not trimmed:
        raise InvalidLabel(f"{what} is empty")
    if len(trimmed) > MAX_LABEL_LENGTH:
        raise InvalidLabel(f"{what} is longer than {MAX_LABEL_LENGTH} characters")
    control = _FORBIDDEN_CONTROL.search(trimmed)
    if control:
        code = ord(control.group())
        if 0xD800 <= code <= 0xDFFF:
            raise InvalidLabel(f"{what} contains an unpaired surrogate (U+{code:04X})")
        raise InvalidLabel(f"{what} contains a control character (U+{code:04X})")
    return trimmed
