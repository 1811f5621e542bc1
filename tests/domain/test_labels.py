"""Names people give things: 1–200 characters after trimming, no control characters but line
feed and tab."""

from __future__ import annotations

import pytest

from leadblock.domain.labels import InvalidLabel, normalise_label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q4 founders", "Q4 founders"),
        ("  padded\t", "padded"),
        ("two\nlines", "two\nlines"),
        ("tab\tinside", "tab\tinside"),
        ("x" * 200, "x" * 200),
        (" " * 50 + "y" * 200 + " " * 50, "y" * 200),
        ("Zoë 🦄 — Ünïcode", "Zoë 🦄 — Ünïcode"),
    ],
)
def test_valid_names(text: str, expected: str) -> None:
    assert normalise_label(text, "Campaign name") == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "Campaign name is empty"),
        (" \t\n ", "Campaign name is empty"),
        ("x" * 201, "Campaign name is longer than 200 characters"),
        ("nul\x00byte", "Campaign name contains a control character (U+0000)"),
        ("carriage\rreturn", "Campaign name contains a control character (U+000D)"),
        ("escape\x1b[31m", "Campaign name contains a control character (U+001B)"),
        ("c1\x85control", "Campaign name contains a control character (U+0085)"),
        ("lone\ud800surrogate", "Campaign name contains an unpaired surrogate (U+D800)"),
    ],
)
def test_invalid_names(text: str, why: str) -> None:
    with pytest.raises(InvalidLabel) as refused:
        normalise_label(text, "Campaign name")
    assert str(refused.value) == why
