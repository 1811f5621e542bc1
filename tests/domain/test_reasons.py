from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadblock.domain.contacts import MAX_EMAIL_LENGTH, InvalidContact, normalise_email
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
        (" \n" * 100_000 + "reason" + "\t " * 100_000, "reason"),  # trimmed in one pass
    ],
)
def test_normalise_reason(reason: str | None, expected: str | None) -> None:
    assert normalise_reason(reason) == expected


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("x" * 501, "reason is longer than 500 characters"),
        ("x" * 1_000_000, "reason is longer than 500 characters"),
        ("x" + "\n" * 498 + "\x00", "reason contains a control character (U+0000)"),
        ("nul\x00byte", "reason contains a control character (U+0000)"),
        ("carriage\rreturn", "reason contains a control character (U+000D)"),
        ("escape\x1b[31m", "reason contains a control character (U+001B)"),
        ("delete\x7f", "reason contains a control character (U+007F)"),
        ("c1\x85control", "reason contains a control character (U+0085)"),
        ("bad\ud800", "reason contains an unpaired surrogate (not valid Unicode)"),
    ],
)
def test_invalid_reason(reason: str, why: str) -> None:
    with pytest.raises(InvalidReason) as raised:
        normalise_reason(reason)
    assert str(raised.value) == why


# Contact e-mail addresses (domain/contacts.py): the same loose check as the regex
# `[^@\s]+@[^@\s]+\.[^@\s]+`, without its backtracking.
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        (None, None),
        ("  ", None),
        ("ada@example.com", "ada@example.com"),
        ("  ada@example.com\n", "ada@example.com"),
        ("a@b.c", "a@b.c"),
        ("a@...", "a@..."),
        ("a@b..", "a@b.."),
        ("a@..b", "a@..b"),
        ("a.b@c.d", "a.b@c.d"),
        ("a@" + "." * (MAX_EMAIL_LENGTH - 2), "a@" + "." * (MAX_EMAIL_LENGTH - 2)),
    ],
)
def test_normalise_email(email: str | None, expected: str | None) -> None:
    assert normalise_email(email) == expected


@pytest.mark.parametrize(
    "email",
    [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@.com",
        "ada@com.",
        "a@.",
        "a@b.",
        "a@..",
        "a@.b.",
        "ada@@example.com",
        "ada@example.com@x",
        "ada lovelace@example.com",
        "ada@exam\u00a0ple.com",
        "ada@example.\u2028com",
        # Shapes on which the regex backtracked quadratically (0.8 ms at 320 characters).
        "a@" + "." * (MAX_EMAIL_LENGTH - 4) + " x",
        "a@" + "." * (MAX_EMAIL_LENGTH - 4) + "@x",
        "a@b" + ".a" * ((MAX_EMAIL_LENGTH - 5) // 2) + " x",
        "a" * (MAX_EMAIL_LENGTH - 1) + "@",
    ],
)
def test_invalid_email(email: str) -> None:
    with pytest.raises(InvalidContact) as raised:
        normalise_email(email)
    assert str(raised.value) == "email is not an e-mail address"


@given(st.text(alphabet=st.sampled_from("a.@ \t\u00a0\u2028\u3000x"), max_size=12))
def test_email_check_agrees_with_the_regex(email: str) -> None:
    trimmed = email.strip()
    try:
        result = normalise_email(email)
    except InvalidContact:
        assert not EMAIL_SHAPE.fullmatch(trimmed)
    else:
        assert result == (trimmed or None)
        assert result is None or EMAIL_SHAPE.fullmatch(result)
