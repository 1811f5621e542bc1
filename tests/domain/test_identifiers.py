"""The SPEC's canonical-form rules, one table row per case."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier

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
    ("", "empty"),
    ("   ", "empty"),
    ("\u200b\ufeff", "empty"),
    ("ab", "shorter than 3"),
    ("a" * 101, "longer than 100"),
    ("a\u0301", "shorter than 3"),  # NFC 'á' is one code point
    ("john doe", "not allowed"),
    ("john.doe", "not allowed"),
    ("john+doe", "not allowed"),
    ("john'doe", "not allowed"),
    ("john?doe", "not allowed"),
    ("john#doe", "not allowed"),
    ("john:doe", "not allowed"),
    ("john\u2013doe", "not allowed"),  # en dash is not '-'
    ("john\x00doe", "not allowed"),
    ("john\x1bdoe", "not allowed"),
    ("joh²", "not allowed"),  # superscript two is No, not Nd
    ("john%", "'%'"),
    ("john%zz", "'%'"),
    ("john%4", "'%'"),
    ("%C3%28abc", "not valid UTF-8"),
    ("%FFabc", "not valid UTF-8"),
    ("jo%2Fhn", "not allowed"),  # %2F decodes to '/' inside the segment
    ("abc\ud800", "surrogate"),
    # Bare values shaped like paths, handles or URNs.
    ("in/john-doe", "path"),
    ("/in/john-doe", "path"),
    ("@john-doe", "handle"),
    ("urn:li:person:123", "URN"),
    # URL schemes and hosts.
    ("ftp://www.linkedin.com/in/john-doe", "scheme"),
    ("javascript://linkedin.com/in/john", "scheme"),
    ("mailto:john@linkedin.com", "scheme"),
    ("https:/www.linkedin.com/in/john-doe", "scheme"),
    ("https://evil.com/in/john-doe", "not a LinkedIn URL"),
    ("https://linkedin.com.evil.com/in/john-doe", "not a LinkedIn URL"),
    ("https://evillinkedin.com/in/john-doe", "not a LinkedIn URL"),
    ("https://www.linkedin.com@evil.com/in/john-doe", "not a LinkedIn URL"),
    ("https://xn--linkedn-0ya.com/in/john-doe", "not a LinkedIn URL"),
    ("https://xn--80ak6aa92e.linkedin.com/in/john-doe", "not a LinkedIn URL"),
    ("https://www.lіnkedin.com/in/john-doe", "not a LinkedIn URL"),  # Cyrillic і
    ("https://www.linkedin.com./in/john-doe", "not a LinkedIn URL"),
    ("https://[::1]/in/linkedin.com", "not a LinkedIn URL"),
    ("https://www.linkedin.com:abc/in/john-doe", "port"),
    ("https:///in/john-doe", "no host"),
    ("https://www.linkedin.com/in/john\x00doe", "control"),
    ("https://www.linkedin.com/in/john\tdoe", "control"),
    # Paths that are not a person's public identifier.
    ("https://www.linkedin.com/in/", "no public identifier"),
    ("https://www.linkedin.com/in", "no public identifier"),
    ("https://www.linkedin.com/in//john", "no public identifier"),
    ("https://www.linkedin.com/mwlite/in/", "no public identifier"),
    ("https://www.linkedin.com/company/acme", "company page"),
    ("https://www.linkedin.com/school/mit", "school page"),
    ("https://www.linkedin.com/showcase/acme-cloud", "showcase page"),
    ("https://www.linkedin.com/pub/john-doe/1/2/3", "legacy /pub/"),
    ("https://www.linkedin.com/profile/view?id=123", "legacy /profile/view"),
    ("https://www.linkedin.com/sales/lead/ACwAA,NAME", "Sales Navigator"),
    ("https://www.linkedin.com/talent/profile/AEMAA", "Recruiter"),
    ("https://www.linkedin.com/feed/", "not a LinkedIn profile URL"),
    ("https://www.linkedin.com", "not a LinkedIn profile URL"),
    ("https://example.com/in/john-doe", "not a LinkedIn URL"),
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
    with pytest.raises(InvalidIdentifier, match=re.escape(why)):
        canonicalise_identifier(value)


def test_every_shape_of_one_lead_is_the_same_lead() -> None:
    shapes = [
        "John-Doe",
        "https://www.linkedin.com/in/john-doe/",
        "fr.linkedin.com/in/JOHN-DOE?trk=x",
        "linkedin.com/in/john-doe/details/experience/",
        "%4Aohn-Doe",
    ]
    assert {canonicalise_identifier(shape) for shape in shapes} == {"john-doe"}


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
