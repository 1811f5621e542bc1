"""Canonical company identity: LinkedIn company pages and domains, one table row per case."""

from __future__ import annotations

import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadblock.domain.companies import (
    MAX_SLUG_LENGTH,
    InvalidCompany,
    _canonical_domain,
    _plain_domain,
    _to_ascii,
    canonicalise_domain,
    canonicalise_linkedin_company,
    parent_domains,
)
from leadblock.domain.identifiers import MAX_INPUT_LENGTH

LINKEDIN_COMPANIES = [
    # Bare slugs: lower-cased; dots are part of real slugs.
    ("acme-corp", "acme-corp"),
    ("Acme-Corp", "acme-corp"),
    ("ACME_CORP_2", "acme_corp_2"),
    ("booking.com", "booking.com"),
    ("1035", "1035"),
    ("x", "x"),
    ("  acme-corp\u200b ", "acme-corp"),
    ("société-générale", "société-générale"),
    ("socie\u0301te\u0301", "société"),  # NFC
    ("soci%C3%A9t%C3%A9", "société"),  # decoded once
    ("acme%2Dcorp", "acme-corp"),
    # URLs in every everyday shape.
    ("https://www.linkedin.com/company/acme-corp", "acme-corp"),
    ("https://www.linkedin.com/company/acme-corp/", "acme-corp"),
    ("http://linkedin.com/company/acme-corp", "acme-corp"),
    ("HTTPS://WWW.LINKEDIN.COM/COMPANY/ACME-CORP", "acme-corp"),
    ("linkedin.com/company/acme-corp", "acme-corp"),
    ("www.linkedin.com/company/acme-corp/about/", "acme-corp"),
    ("www.linkedin.com/company/acme-corp/jobs?trk=nav", "acme-corp"),
    ("fr.linkedin.com/company/acme-corp?trk=x#top", "acme-corp"),
    ("de.linkedin.com/company/1035/", "1035"),
    ("https://www.linkedin.com/company/1035", "1035"),
    ("//www.linkedin.com/company/acme-corp", "acme-corp"),
    ("https://www.linkedin.com:443/company/acme-corp", "acme-corp"),
    ("https://user@www.linkedin.com/company/acme-corp", "acme-corp"),
    ("https://www.linkedin.com/mwlite/company/acme-corp", "acme-corp"),
    ("https://www.linkedin.com/company/soci%C3%A9t%C3%A9-g%C3%A9n%C3%A9rale/", "société-générale"),
    ("https://www.linkedin.com/company/booking.com/", "booking.com"),
]

INVALID_LINKEDIN_COMPANIES = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("acme corp", "contains a character that is not allowed: U+0020 SPACE"),
    ("acme/corp", "looks like a path; send a full linkedin.com/company/… URL or the bare slug"),
    ("acme!", "contains a character that is not allowed: '!' U+0021 EXCLAMATION MARK"),
    ("a" * (MAX_SLUG_LENGTH + 1), f"is longer than {MAX_SLUG_LENGTH} characters"),
    ("a" * (MAX_INPUT_LENGTH + 1), f"is too long (more than {MAX_INPUT_LENGTH:,} characters)"),
    ("acme%2Fcorp", "contains a character that is not allowed: '/' U+002F SOLIDUS"),
    ("acme%zz", "has a '%' that is not followed by two hex digits"),
    ("https://www.linkedin.com/company/", "company URL has no company after /company/"),
    ("https://www.linkedin.com/company", "company URL has no company after /company/"),
    ("https://www.linkedin.com/in/john-doe", "a person's profile is not a company page"),
    (
        "https://www.linkedin.com/school/mit/",
        "a school page is not a company page (block the school's domain instead)",
    ),
    (
        "https://www.linkedin.com/showcase/acme-cloud/",
        "a showcase page is not a company page (block its parent company instead)",
    ),
    (
        "https://www.linkedin.com/feed/",
        "not a LinkedIn company URL (expected linkedin.com/company/<slug>)",
    ),
    # Look-alike hosts.
    ("https://linkedin.com.evil.io/company/acme", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://www.linkedln.com/company/acme", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://evil-linkedin.com/company/acme", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://xn--linkedn-9ya.com/company/acme", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://www.1inkedin.com/company/acme", "not a LinkedIn URL (host is not linkedin.com)"),
    ("https://[::1]/company/acme", "not a LinkedIn URL (host is an IP address)"),
    ("ftp://www.linkedin.com/company/acme", "URL scheme 'ftp' is not http or https"),
    ("https://www.linkedin.com/company/ac\x00me", "URL contains control characters"),
]

DOMAINS = [
    ("acme.com", "acme.com"),
    ("ACME.COM", "acme.com"),
    ("acme.com.", "acme.com"),
    ("www.acme.com", "acme.com"),
    ("WWW.Acme.Com.", "acme.com"),
    ("mail.acme.com", "mail.acme.com"),
    ("www.mail.acme.co.uk", "mail.acme.co.uk"),
    ("  acme.com\t", "acme.com"),
    ("@acme.com", "acme.com"),
    ("jane@acme.com", "acme.com"),
    ("Jane.Doe+sales@Mail.Acme.com", "mail.acme.com"),
    ("mailto:jane@acme.com", "acme.com"),
    ("https://www.acme.com/careers", "acme.com"),
    ("http://acme.com", "acme.com"),
    ("https://acme.com:8443/x?y=1#z", "acme.com"),
    ("https://user:pass@acme.com/", "acme.com"),
    ("//acme.com/x", "acme.com"),
    ("acme.com/about", "acme.com"),
    ("bücher.de", "xn--bcher-kva.de"),
    ("BÜCHER.DE", "xn--bcher-kva.de"),
    ("https://www.bücher.de/", "xn--bcher-kva.de"),
    ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("例え.jp", "xn--r8jz45g.jp"),
    ("a-b.io", "a-b.io"),
    ("123.com", "123.com"),
]

INVALID_DOMAINS = [
    ("", "is empty"),
    ("acme", "needs a dot: a single label (such as 'localhost') is no domain"),
    ("localhost", "needs a dot: a single label (such as 'localhost') is no domain"),
    ("jane@localhost", "needs a dot: a single label (such as 'localhost') is no domain"),
    ("www.", "needs a dot: a single label (such as 'localhost') is no domain"),
    ("1.2.3.4", "is an IP address, not a domain"),
    ("http://10.0.0.1/x", "is an IP address, not a domain"),
    ("jane@[10.0.0.1]", "is an IP address, not a domain"),
    ("::1", "is an IP address, not a domain"),
    ("https://[::1]:80/", "is an IP address, not a domain"),
    ("999.1.1.1", "ends in a number: not a domain"),
    ("-acme.com", "is not a valid domain name"),
    ("acme-.com", "is not a valid domain name"),
    ("ac_me.com", "is not a valid domain name"),
    ("acme..com", "is not a valid domain name"),
    ("acme com.io", "contains white space"),
    ("a" * 64 + ".com", "is not a valid domain name"),
    (".".join(["a" * 60] * 5), "is not a valid domain name"),
    ("ftp://acme.com", "URL scheme 'ftp' is not http or https"),
    ("acme.com\x00", "contains control characters"),
    ("a" * (MAX_INPUT_LENGTH + 1), f"is too long (more than {MAX_INPUT_LENGTH:,} characters)"),
]


@pytest.mark.parametrize(("value", "expected"), LINKEDIN_COMPANIES)
def test_linkedin_company_canonical_form(value: str, expected: str) -> None:
    assert canonicalise_linkedin_company(value) == expected


@pytest.mark.parametrize(("value", "why"), INVALID_LINKEDIN_COMPANIES)
def test_invalid_linkedin_company_says_which_rule(value: str, why: str) -> None:
    with pytest.raises(InvalidCompany) as raised:
        canonicalise_linkedin_company(value)
    assert str(raised.value) == why


@pytest.mark.parametrize(("value", "expected"), DOMAINS)
def test_domain_canonical_form(value: str, expected: str) -> None:
    assert canonicalise_domain(value) == expected


@pytest.mark.parametrize(("value", "why"), INVALID_DOMAINS)
def test_invalid_domain_says_which_rule(value: str, why: str) -> None:
    with pytest.raises(InvalidCompany) as raised:
        canonicalise_domain(value)
    assert str(raised.value) == why


def test_a_domain_is_matched_by_itself_and_its_parents() -> None:
    assert parent_domains("mail.eu.acme.com") == ["mail.eu.acme.com", "eu.acme.com", "acme.com"]
    assert parent_domains("acme.com") == ["acme.com"]


slug_characters = st.characters(categories=["Ll", "Lu", "Lo", "Nd"], include_characters="-_.")
label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(st.text(slug_characters, min_size=1, max_size=40))
def test_canonical_slugs_are_fixed_points_and_urls_agree(value: str) -> None:
    try:
        slug = canonicalise_linkedin_company(value)
    except InvalidCompany:
        return
    assert canonicalise_linkedin_company(slug) == slug
    assert canonicalise_linkedin_company(f"https://www.linkedin.com/company/{slug}/") == slug
    assert slug == slug.lower()


@given(st.lists(label, min_size=1, max_size=4), st.sampled_from(["com", "de", "co.uk", "io"]))
def test_every_spelling_of_a_domain_is_the_same_domain(labels: list[str], suffix: str) -> None:
    domain = canonicalise_domain(".".join([*labels, suffix]))
    assert canonicalise_domain(domain) == domain
    for spelling in (
        domain.upper(),
        f"{domain}.",
        f"www.{domain}",
        f"@{domain}",
        f"someone@{domain}",
        f"https://www.{domain}/a/b?c=d",
    ):
        assert canonicalise_domain(spelling) == domain, spelling


@given(st.text(max_size=300))
def test_any_text_is_a_domain_or_a_reason(value: str) -> None:
    for canonicalise in (canonicalise_domain, canonicalise_linkedin_company):
        try:
            canonical = canonicalise(value)
        except InvalidCompany as error:
            reason = str(error)
        else:
            reason = ""
            assert canonicalise(canonical) == canonical
        assert reason or canonical


@given(st.from_regex(r"(?:[A-Za-z0-9-]{1,20}\.){1,4}[A-Za-z0-9-]{1,20}", fullmatch=True))
def test_plain_ascii_hosts_skip_idna_with_the_same_result(host: str) -> None:
    """The fast path for plain ASCII hosts answers exactly what IDNA would."""
    try:
        expected: str | None = idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        expected = None
    try:
        got: str | None = _to_ascii(host)
    except InvalidCompany:
        got = None
    assert got == expected


_ASCII_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
_HOSTISH = st.from_regex(r"(?:[A-Za-z0-9-]{1,12}\.){0,4}[A-Za-z0-9-]{1,12}\.?", fullmatch=True)


@given(
    st.one_of(
        _HOSTISH,
        st.builds("{}@{}".format, _ASCII_TEXT, _HOSTISH),
        st.builds("{}{}".format, _ASCII_TEXT, _HOSTISH),
        st.builds("www.{}".format, _HOSTISH),
    )
)
def test_the_fast_path_for_plain_domains_answers_as_the_full_rules(value: str) -> None:
    def full(value: str) -> str:
        try:
            return _canonical_domain(value)
        except InvalidCompany as error:
            return f"refused: {error}"

    plain = _plain_domain(value)
    assert plain is None or plain == full(value)
    assert (plain or full(value)) == full(value)
