from __future__ import annotations

import re

import pytest

from leadblock.domain.reasons import InvalidReason, normalise_reason


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, None),
        ("", None),
        ("   \n\t ", None),
        ("  Asked to be removed  ", "Asked to be removed"),
        ("line one\nline two\tcolumn", "line one\nline two\tcolumn"),
        ("x" * 500, "x" * 500),
        ("  " + "x" * 500 + "  ", "x" * 500),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ],
)
def test_normalise_reason(reason: str | None, expected: str | None) -> None:
    assert normalise_reason(reason) == expected


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("x" * 501, "longer than 500"),
        ("nul\x00byte", "U+0000"),
        ("carriage\rreturn", "U+000D"),
        ("escape\x1b[31m", "U+001B"),
        ("delete\x7f", "U+007F"),
        ("c1\x85control", "U+0085"),
        ("bad\ud800", "surrogate"),
    ],
)
def test_invalid_reason(reason: str, why: str) -> None:
    with pytest.raises(InvalidReason, match=re.escape(why)):
        normalise_reason(reason)
