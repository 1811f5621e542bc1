"""The SPEC's canonical-form rules, one table row per case."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadblock.domain.identifiers import (
    MAX_INPUT_LENGTH,
    MAX_LENGTH,
    InvalidIdentifier,
    canonicalise_identifier,
)

VALID = [
    # Bare identifiers: lower-cased, never casefolded.
    ("john-doe", "john-doe"),
    ("John-Doe", "john-doe"),
    ("JOHN_DOE_123", "john_doe_123"),
    ("straße-müller", "straße-müller"),
    # 1. Trimming: Unicode White_Space and default-ignorables at both ends.
    ("  john-doe  ", "john-doe"),
    ("\tjohn-doe\n", "john-doe"),
    ("\u00a0\u3000john-doe\u2029", "john-doe"),
    ("\u200bjohn-doe\u200b", "john-doe"),
    ("\ufeffjohn-doe", "john-doe"),
    ("\u200e\u202ajohn-doe\u202c\u200f", "john-doe"),
    ("\u00adjohn-doe\u00ad", "john-doe"),
    # 2. URLs in every everyday shape.
    ("https://www.linkedin.com/in/john-doe", "john-doe"),
    ("https://www.linkedin.com/in/john-doe/", "john-doe"),
    ("http://linkedin.com/in/john-doe", "john-doe"),
    ("HTTPS://WWW.LINKEDIN.COM/IN/JOHN-DOE", "john-doe"),
    ("fr.linkedin.com/in/JOHN-DOE?trk=x", "john-doe"),
    ("linkedin.com/in/john-doe/details/experience/", "john-doe"),
    ("www.linkedin.com/in/john-doe#about", "john-doe"),
    ("//www.linkedin.com/in/john-doe", "john-doe"),
    ("https://m.linkedin.com/in/john-doe", "john-doe"),
    ("https://user:pass@www.linkedin.com/in/john-doe", "john-doe"),
    ("https://www.linkedin.com:443/in/john-doe", "john-doe"),
    ("linkedin.com:8080/in/john-doe", "john-doe"),
    ("https://www.linkedin.com/mwlite/in/john-doe", "john-doe"),
    ("https://www.linkedin.com/mwlite/profile/in/john-doe", "john-doe"),
    ("https://www.linkedin.com/MWLite/Profile/IN/john-doe", "john-doe"),
    ("https://www.linkedin.com/in/john-doe?originalSubdomain=fr", "john-doe"),
    ("  https://www.linkedin.com/in/john-doe/  ", "john-doe"),
    # 3. Percent-decoding once, strict UTF-8; ignorables removed; NFC; lower().
    ("jos%C3%A9-garc%C3%ADa", "josé-garcía"),
    ("https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa/", "josé-garcía"),
    ("JOS%C3%89", "josé"),
    ("jose\u0301", "josé"),  # NFC composes e + combining acute
    ("jo\u200bhn\u200d-doe", "john-doe"),  # inner zero-width characters removed
    ("%E2%80%8Bjohn", "john"),  # an encoded zero-width space is removed after decoding
    ("john%2520doe", None),  # decoded once: %25 -> '%', which is then not allowed
    # 4. Scripts, marks, digits and symbols that real names carry.
    ("марія-коваленко", "марія-коваленко"),
    ("王小明-123", "王小明-123"),
    ("محمد-علي", "محمد-علي"),
    ("नमस्ते-दुनिया", "नमस्ते-दुनिया"),
    ("ΣΩΚΡΑΤΗΣ", "σωκρατης"),  # str.lower() applies the final-sigma rule
    ("john★doe", "john★doe"),
    ("love♥you", "love♥you"),
    ("john-🚀-doe", "john-🚀-doe"),
    ("wave-👋🏽", "wave-👋🏽"),  # skin-tone modifier (Sk) allowed
    ("❤️-love", "❤-love"),  # variation selector removed
    ("abc", "abc"),  # 3 code points: the minimum
    ("a" * 100, "a" * 100),  # 100 code points: the maximum
    ("１２３", "１２３"),  # fullwidth digits are Nd
]

INVALID = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("\u200b\ufeff", "is empty"),
    ("ab", "is shorter than 3 characters"),
    ("a" * 101, "is longer than 100 characters"),
    ("a\u0301", "is shorter than 3 characters"),  # NFC 'á' is one code point
    ("john doe", "contains a character that is not allowed: U+0020 SPACE"),
    ("john.doe", "contains a character that is not allowed: '.' U+002E FULL STOP"),
    ("john+doe", "contains a character that is not allowed: '+' U+002B PLUS SIGN"),
    ("john'doe", "contains a character that is not allowed: ''' U+0027 APOSTROPHE"),
    ("john?doe", "contains a character that is not allowed: '?' U+003F QUESTION MARK"),
    ("john#doe", "contains a character that is not allowed: '#' U+0023 NUMBER SIGN"),
    ("john:doe", "contains a character that is not allowed: ':' U+003A COLON"),
    # en dash is not '-'
    ("john\u2013doe", "contains a character that is not allowed: '–' U+2013 EN DASH"),
    ("john\x00doe", "contains a character that is not allowed: U+0000"),
    ("john\x1bdoe", "contains a character that is not allowed: U+001B"),
    # superscript two is No, not Nd
    ("joh²", "contains a character that is not allowed: '²' U+00B2 SUPERSCRIPT TWO"),
    ("john%", "has a '%' that is not followed by two hex digits"),
    ("john%zz", "has a '%' that is not followed by two hex digits"),
    ("john%4", "has a '%' that is not followed by two hex digits"),
    ("%C3%28abc", "percent-encoding is not valid UTF-8"),
    ("%FFabc", "percent-encoding is not valid UTF-8"),
    # %2F decodes to '/' inside the segment
    ("jo%2Fhn", "contains a character that is not allowed: '/' U+002F SOLIDUS"),
    ("abc\ud800", "contains an unpaired surrogate (not valid Unicode)"),
    # Bare values shaped like paths, handles or URNs.
    ("in/john-doe", "looks like a path; send a full linkedin.com/in/… URL or the bare identifier"),
    ("/in/john-doe", "looks like a path; send a full linkedin.com/in/… URL or the bare identifier"),
    ("@john-doe", "is a handle; send the bare public identifier without '@'"),
    ("urn:li:person:123", "is a LinkedIn URN, not a public identifier"),
    # URL schemes and hosts.
    ("ftp://www.linkedin.com/in/john-doe", "URL scheme 'ftp' is not http or https"),
    ("javascript://linkedin.com/in/john", "URL scheme 'javascript' is not http or https"),
    ("mailto:john@linkedin.com", "URL scheme 'mailto' is not http or https"),
    ("https:/www.linkedin.com/in/john-doe", "URL scheme must be followed by //"),
    ("https://evil.com/in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://linkedin.com.evil.com/in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://evillinkedin.com/in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
    (
        "https://www.linkedin.com@evil.com/in/john-doe",
        "not a LinkedIn URL (host is not linkedin.com)",
    ),
    ("https://xn--linkedn-0ya.com/in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
    (
        "https://xn--80ak6aa92e.linkedin.com/in/john-doe",
        "not a LinkedIn URL (host is not linkedin.com)",
    ),
    # Cyrillic і
    ("https://www.lіnkedin.com/in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://www.linkedin.com./in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://[::1]/in/linkedin.com", "not a LinkedIn URL (host is an IP address)"),
    ("https://www.linkedin.com:abc/in/john-doe", "URL port is not a number"),
    ("https:///in/john-doe", "URL has no host"),
    ("https://www.linkedin.com/in/john\x00doe", "URL contains control characters"),
    ("https://www.linkedin.com/in/john\tdoe", "URL contains control characters"),
    # Paths that are not a person's public identifier.
    ("https://www.linkedin.com/in/", "profile URL has no public identifier after /in/"),
    ("https://www.linkedin.com/in", "profile URL has no public identifier after /in/"),
    ("https://www.linkedin.com/in//john", "profile URL has no public identifier after /in/"),
    ("https://www.linkedin.com/mwlite/in/", "profile URL has no public identifier after /in/"),
    ("https://www.linkedin.com/company/acme", "a company page is not a person's profile"),
    ("https://www.linkedin.com/school/mit", "a school page is not a person's profile"),
    ("https://www.linkedin.com/showcase/acme-cloud", "a showcase page is not a person's profile"),
    (
        "https://www.linkedin.com/pub/john-doe/1/2/3",
        "legacy /pub/ URL carries no public identifier",
    ),
    (
        "https://www.linkedin.com/profile/view?id=123",
        "legacy /profile/view URL carries no public identifier",
    ),
    (
        "https://www.linkedin.com/sales/lead/ACwAA,NAME",
        "Sales Navigator URL carries no public identifier",
    ),
    ("https://www.linkedin.com/talent/profile/AEMAA", "Recruiter URL carries no public identifier"),
    (
        "https://www.linkedin.com/feed/",
        "not a LinkedIn profile URL (expected linkedin.com/in/<identifier>)",
    ),
    (
        "https://www.linkedin.com",
        "not a LinkedIn profile URL (expected linkedin.com/in/<identifier>)",
    ),
    ("https://example.com/in/john-doe", "not a LinkedIn URL (host is not linkedin.com)"),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_canonical_form(value: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidIdentifier):
            canonicalise_identifier(value)
    else:
        assert canonicalise_identifier(value) == expected


@pytest.mark.parametrize(("value", "why"), INVALID)
def test_invalid_identifier_says_which_rule(value: str, why: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(value)
    assert str(raised.value) == why


def test_every_shape_of_one_lead_is_the_same_lead() -> None:
    shapes = [
        "John-Doe",
        "https://www.linkedin.com/in/john-doe/",
        "fr.linkedin.com/in/JOHN-DOE?trk=x",
        "linkedin.com/in/john-doe/details/experience/",
        "%4Aohn-Doe",
    ]
    assert [canonicalise_identifier(shape) for shape in shapes] == ["john-doe"] * len(shapes)


identifier_text = st.text(
    alphabet=st.characters(codec="utf-8"),
    min_size=0,
    max_size=120,
)


@given(identifier_text)
def test_canonicalising_twice_changes_nothing(value: str) -> None:
    try:
        once = canonicalise_identifier(value)
    except InvalidIdentifier:
        return
    assert canonicalise_identifier(once) == once


@given(
    st.one_of(
        identifier_text, st.builds(lambda s: f"https://www.linkedin.com/in/{s}", identifier_text)
    )
)
def test_nothing_canonical_has_whitespace_slash_percent_or_upper_case(value: str) -> None:
    try:
        canonical = canonicalise_identifier(value)
    except InvalidIdentifier:
        return
    assert not any(char.isspace() for char in canonical)
    assert "/" not in canonical
    assert "%" not in canonical
    assert canonical == canonical.lower()
    assert 3 <= len(canonical) <= 100


allowed_characters = st.characters(
    categories=["Ll", "Lu", "Lo", "Nd", "So"],
    exclude_characters="\u115f\u1160\u3164\uffa0",  # Hangul fillers are default-ignorable
)


# At least 9 characters: conjoining jamo may compose three into one under NFC.
@given(st.text(alphabet=allowed_characters, min_size=9, max_size=50))
def test_identifiers_of_allowed_characters_are_accepted(value: str) -> None:
    canonical = canonicalise_identifier(value)
    assert canonicalise_identifier(canonical) == canonical


# Input length and linear time (SPEC: "an identifier input longer than 2,048 characters is
# invalid at once; canonicalisation is linear in the input length").

TOO_LONG = "is too long (more than 2,048 characters)"
LONGER_THAN_MAX = "is longer than 100 characters"
URL = "https://www.linkedin.com/in/John-Doe/"

# Unicode White_Space (PropList.txt), written out independently of the module.
WHITE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# The ends of each Default_Ignorable_Code_Point range (DerivedCoreProperties.txt), tags aside.
IGNORABLES = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180f\u200b\u200f\u202a\u202e"
    "\u2060\u206f\u3164\ufe00\ufe0f\ufeff\uffa0\ufff0\ufff8"
    "\U0001bca0\U0001bca3\U0001d173\U0001d17a"
)
TAGS = st.characters(min_codepoint=0xE0000, max_codepoint=0xE0FFF)

PADDINGS = {
    "spaces": " ",
    "zero-width spaces": "\u200b",
    "no-break spaces": "\u00a0",
    "tabs and newlines": "\t\n\r\n",
    "mixed": " \u200b\u00a0\t\ufeff\u3000\u2028\U000e0041\u034f\n\u200e",
    "tags": "\U000e0001\U000e0020\U000e007f\U000e0fff",
}


def padded(core: str, unit: str, side: str, count: int) -> str:
    """`core` with `count` characters of `unit` repeated, on the left, the right or both."""
    if side == "both":
        left = count // 2
        return (unit * left)[:left] + core + (unit * count)[: count - left]
    padding = (unit * count)[:count]
    return padding + core if side == "left" else core + padding


def test_the_input_limit_is_2048_characters() -> None:
    assert MAX_INPUT_LENGTH == 2048


@pytest.mark.parametrize(
    ("core", "expected"),
    [("John-Doe", "john-doe"), (URL, "john-doe"), ("jos%C3%A9-garc%C3%ADa", "josé-garcía")],
)
@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_padding_up_to_the_limit_is_trimmed(core: str, expected: str, side: str) -> None:
    value = padded(core, " ", side, MAX_INPUT_LENGTH - len(core))
    assert len(value) == MAX_INPUT_LENGTH
    assert canonicalise_identifier(value) == expected


@pytest.mark.parametrize("core", ["John-Doe", URL, "jos%C3%A9-garc%C3%ADa"])
@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_one_character_over_the_limit_is_too_long(core: str, side: str) -> None:
    value = padded(core, " ", side, MAX_INPUT_LENGTH + 1 - len(core))
    assert len(value) == MAX_INPUT_LENGTH + 1
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(value)
    assert str(raised.value) == TOO_LONG


@pytest.mark.parametrize(
    "value",
    [
        "a" * (MAX_INPUT_LENGTH + 1),  # before the fast path for plain ASCII
        "%" * (MAX_INPUT_LENGTH + 1),  # before percent-decoding
        "\u200b" * (MAX_INPUT_LENGTH + 1),  # before trimming (it would be empty)
        "x" + " " * 30_000 + "x",  # the shape that took 3.5 s of CPU
        "x" + " " * 40_000 + "x",
        " " * 1_000_000,
    ],
    ids=["ascii", "percent", "ignorables", "30k-spaces", "40k-spaces", "1M-spaces"],
)
def test_text_over_the_limit_is_refused_before_any_other_work(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(value)
    assert str(raised.value) == TOO_LONG


@pytest.mark.parametrize("unit", PADDINGS.values(), ids=PADDINGS.keys())
@pytest.mark.parametrize("side", ["left", "right", "both"])
@pytest.mark.parametrize("core", ["John-Doe", URL])
def test_two_thousand_characters_of_padding_are_trimmed(unit: str, side: str, core: str) -> None:
    value = padded(core, unit, side, 2000)
    assert canonicalise_identifier(value) == "john-doe"


def at_limit(prefix: str, unit: str, suffix: str = "") -> str:
    """`prefix`, then `unit` repeated (the last copy cut short if need be), then `suffix`:
    exactly MAX_INPUT_LENGTH characters."""
    count = MAX_INPUT_LENGTH - len(prefix) - len(suffix)
    return prefix + (unit * count)[:count] + suffix


# The worst case of every step at the largest input allowed; each takes well under a millisecond.
WORST_CASE_VALID = [
    ("inner-zero-width", at_limit("jo", "\u200b", "hn"), "john"),
    ("inner-tags", at_limit("jo", "\U000e0001", "hn"), "john"),
    ("inner-ignorables-mixed", at_limit("jo", "\u00ad\u200d\ufe0f\u2060", "hn"), "john"),
    ("encoded-ignorables", at_limit("", "%E2%80%8B", "janes"), "janes"),
    ("slashes-after", at_limit(URL, "/"), "john-doe"),
    ("query", at_limit(URL + "?", "a=1&"), "john-doe"),
    ("fragment", at_limit(URL + "#", "#"), "john-doe"),
    ("long-host-label", at_limit("https://", "a", ".linkedin.com/in/john-doe"), "john-doe"),
    ("hyphens-in-host-label", at_limit("https://a", "-", "a.linkedin.com/in/john-doe"), "john-doe"),
    ("many-host-labels", at_limit("https://", "a.", "linkedin.com/in/john-doe"), "john-doe"),
    ("long-port", at_limit("linkedin.com:", "1", "/in/john-doe"), "john-doe"),
    ("long-userinfo", at_limit("https://", "u", "@linkedin.com/in/john-doe"), "john-doe"),
]

WORST_CASE_INVALID = [
    ("inner-spaces", at_limit("x", " ", "x"), LONGER_THAN_MAX),
    ("inner-zero-width-only", at_limit("x", "\u200b", "x"), "is shorter than 3 characters"),
    ("inner-white-and-ignorable", at_limit("x", " \u200b", "x"), LONGER_THAN_MAX),
    ("all-trimmable", at_limit("", " \u200b\U000e0001\u3000\n"), "is empty"),
    ("percent-signs", at_limit("", "%"), "has a '%' that is not followed by two hex digits"),
    ("percent-triplets", at_limit("", "%41", "ab"), LONGER_THAN_MAX),
    ("encoded-percent", at_limit("", "%25", "ab"), LONGER_THAN_MAX),
    ("bad-utf-8", at_limit("", "%C3", "ab"), "percent-encoding is not valid UTF-8"),
    (
        "combining-marks",  # out of canonical order: NFC would sort them, quadratically
        at_limit("a" + "\u0345" * (MAX_INPUT_LENGTH // 2), "\u0316"),
        LONGER_THAN_MAX,
    ),
    (
        "slashes",
        at_limit("", "/"),
        "looks like a path; send a full linkedin.com/in/… URL or the bare identifier",
    ),
    (
        "empty-segments",
        at_limit("linkedin.com/in/", "/"),
        "profile URL has no public identifier after /in/",
    ),
    (
        "many-segments",
        at_limit("https://www.linkedin.com/", "a/"),
        "not a LinkedIn profile URL (expected linkedin.com/in/<identifier>)",
    ),
    (
        "host-label-ending-in-hyphen",
        at_limit("https://", "a", "-.linkedin.com/in/john-doe"),
        "not a LinkedIn URL (host is not linkedin.com)",
    ),
    (
        "long-scheme",
        at_limit("", "a", "://www.linkedin.com/in/x"),
        f"URL scheme '{'a' * (MAX_INPUT_LENGTH - 24)}' is not http or https",
    ),
    (
        "control-characters",
        at_limit("linkedin.com/in/john", "\x01"),
        "URL contains control characters",
    ),
    ("at-signs", at_limit("", "@"), "is a handle; send the bare public identifier without '@'"),
    ("colons", at_limit("", ":"), LONGER_THAN_MAX),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [case[1:] for case in WORST_CASE_VALID],
    ids=[case[0] for case in WORST_CASE_VALID],
)
def test_worst_cases_at_the_limit_are_canonicalised(value: str, expected: str) -> None:
    assert len(value) == MAX_INPUT_LENGTH
    assert canonicalise_identifier(value) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [case[1:] for case in WORST_CASE_INVALID],
    ids=[case[0] for case in WORST_CASE_INVALID],
)
def test_worst_cases_at_the_limit_are_refused(value: str, why: str) -> None:
    assert len(value) == MAX_INPUT_LENGTH
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(value)
    assert str(raised.value) == why


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("x" + " " * (MAX_LENGTH - 2) + "x", "U+0020 SPACE"),
        ("x" + "\u00a0" * (MAX_LENGTH - 2) + "x", "U+00A0 NO-BREAK SPACE"),
        ("x" + "\t" * (MAX_LENGTH - 2) + "x", "U+0009"),
    ],
    ids=["space", "no-break-space", "tab"],
)
def test_inner_white_space_is_not_trimmed(value: str, why: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(value)
    assert str(raised.value) == f"contains a character that is not allowed: {why}"


def test_text_too_long_for_nfc_to_shorten_enough_is_refused_before_nfc() -> None:
    """What the module's shortcut past NFC relies on, for every code point of this Python.

    No canonical decomposition is longer than 4 code points, so NFC can at most quarter a text's
    length; and lower-casing never shortens a character.
    """
    code_points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    assert max(len(unicodedata.normalize("NFD", char)) for char in code_points) == 4
    assert min(len(char.lower()) for char in code_points) == 1
    # At the bound: four code points per character of the identifier give exactly MAX_LENGTH.
    decomposed = unicodedata.normalize("NFD", "\u1f82") * MAX_LENGTH
    assert len(decomposed) == 4 * MAX_LENGTH
    assert canonicalise_identifier(decomposed) == "\u1f82" * MAX_LENGTH
    # One more mark: NFC would give 101 characters; the shortcut refuses it with the same words.
    with pytest.raises(InvalidIdentifier) as raised:
        canonicalise_identifier(decomposed + "\u0301")
    assert str(raised.value) == LONGER_THAN_MAX


@given(
    identifier=st.text(alphabet=allowed_characters, min_size=9, max_size=50),
    shape=st.sampled_from(["{}", "https://www.linkedin.com/in/{}/", "linkedin.com/in/{}?trk=x"]),
    left=st.text(alphabet=st.one_of(st.sampled_from(WHITE_SPACE + IGNORABLES), TAGS), max_size=950),
    right=st.text(
        alphabet=st.one_of(st.sampled_from(WHITE_SPACE + IGNORABLES), TAGS), max_size=950
    ),
)
def test_padding_with_trimmable_characters_changes_nothing(
    identifier: str, shape: str, left: str, right: str
) -> None:
    canonical = canonicalise_identifier(identifier)
    value = left + shape.format(canonical) + right
    assert len(value) <= MAX_INPUT_LENGTH
    assert canonicalise_identifier(value) == canonical
