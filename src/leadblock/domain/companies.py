"""Canonical company identity: a LinkedIn company page or an internet domain.

A company is named one of two ways, each with one canonical form:

    Acme-Corp                                       -> acme-corp       (LinkedIn company)
    https://www.linkedin.com/company/acme-corp/about/   -> acme-corp
    fr.linkedin.com/company/1035?trk=x              -> 1035
    booking.com                                     -> booking.com     (a real slug)

    acme.com, ACME.COM., www.acme.com               -> acme.com        (domain)
    @acme.com, jane@acme.com                        -> acme.com
    https://www.acme.com/careers                    -> acme.com
    bücher.de                                       -> xn--bcher-kva.de

A LinkedIn company page follows the profile URL rules (any linkedin.com host, http or https,
query and fragment ignored, a percent-encoding decoded once), with the path `company/<slug>`;
the slug is canonicalised as identifiers are (NFC, lower case) and holds letters, combining marks,
decimal digits, `-`, `_` and `.`. A domain is lower-cased and converted to ASCII (IDNA, UTS #46),
loses one leading `www.` and a trailing dot, and must be a host name with a dot in it: an IP
address or a single label ("localhost") names no company. A company name alone is never an
identity: two companies share names, and one company has many spellings of its own.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import NamedTuple

import idna

from leadblock.domain.identifiers import (
    MAX_INPUT_LENGTH,
    InvalidIdentifier,
    describe_character,
    first_index,
    has_control_character,
    linkedin_path_segments,
    normalise,
    strip_scheme,
    trim,
)
from leadblock.domain.records import CompanyKind, Contact

MAX_SLUG_LENGTH = 100
MAX_DOMAIN_LENGTH = 253
_SLUG_PUNCTUATION = frozenset("-_.")
_WHITE_SPACE = re.compile(r"\s")  # what str.isspace() calls white space
# A plain domain, or a printable ASCII address ending in `@` and one, and any trailing dots: its
# labels LDH, none that IDNA would change (`xn--` or other `??--`).
_PLAIN_LABEL_SOURCE = r"(?![a-z0-9]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_INPUT = re.compile(
    rf"(?:[!-~]*@)?({_PLAIN_LABEL_SOURCE}(?:\.{_PLAIN_LABEL_SOURCE})+)\.*",
    re.ASCII | re.IGNORECASE,
)
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A label IDNA leaves as it is: LDH, not a punycode (`xn--`) or other `??--` label.
_PLAIN_LABEL = re.compile(r"(?![a-z0-9]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_NOT_A_COMPANY = {
    "in": "a person's profile is not a company page",
    "school": "a school page is not a company page (block the school's domain instead)",
    "showcase": "a showcase page is not a company page (block its parent company instead)",
}


class InvalidCompany(ValueError):
    """The value names no company; str() says why."""


def canonicalise_linkedin_company(value: str) -> str:
    """The canonical slug of a LinkedIn company page, given as a bare slug or a URL."""
    trimmed = _trimmed(value)
    try:
        if "linkedin.com" in trimmed.lower() or trimmed.lower().startswith(("http:", "https:")):
            raw = _slug_from_url(trimmed)
        elif "/" in trimmed:
            raise InvalidCompany(
                "looks like a path; send a full linkedin.com/company/… URL or the bare slug"
            )
        else:
            raw = trimmed
        slug = normalise(raw, MAX_SLUG_LENGTH)
    except InvalidIdentifier as error:
        raise InvalidCompany(str(error)) from None
    if len(slug) > MAX_SLUG_LENGTH:
        raise InvalidCompany(f"is longer than {MAX_SLUG_LENGTH} characters")
    if not slug:
        raise InvalidCompany("is empty")
    for char in slug:
        category = unicodedata.category(char)
        if not (category[0] in "LM" or category == "Nd" or char in _SLUG_PUNCTUATION):
            raise InvalidCompany(
                f"contains a character that is not allowed: {describe_character(char)}"
            )
    return slug


def _trimmed(value: str) -> str:
    """`value` without white space or invisible characters at its ends; refused when it is
    over the input limit (before any other work) or nothing is left."""
    if len(value) > MAX_INPUT_LENGTH:
        raise InvalidCompany(f"is too long (more than {MAX_INPUT_LENGTH:,} characters)")
    trimmed = trim(value)
    if not trimmed:
        raise InvalidCompany("is empty")
    return trimmed


def _slug_from_url(url: str) -> str:
    segments = linkedin_path_segments(url)
    if segments[:1] and segments[0].lower() == "mwlite":  # LinkedIn's lite site
        segments = segments[1:]
    first = segments[0].lower() if segments else ""
    if first == "company":
        if len(segments) < 2 or not segments[1]:
            raise InvalidCompany("company URL has no company after /company/")
        return segments[1]
    if first in _NOT_A_COMPANY:
        raise InvalidCompany(_NOT_A_COMPANY[first])
    raise InvalidCompany("not a LinkedIn company URL (expected linkedin.com/company/<slug>)")


def canonicalise_domain(value: str) -> str:
    """The canonical domain of a domain, an `@domain`, an e-mail address or a URL."""
    return _plain_domain(value) or _canonical_domain(value)


def _plain_domain(value: str) -> str | None:
    """The canonical domain of the everyday input, a plain ASCII domain or e-mail address
    (`acme.com`, `jane@Mail.Acme.com`), in one regular expression; None for anything else,
    which `_canonical_domain` judges (the same answer, a test holds them to it). A check of
    10,000 leads with companies spends most of its time here."""
    match = _PLAIN_INPUT.fullmatch(value)
    if match is None or len(value) > MAX_INPUT_LENGTH:
        return None
    host = match.group(1)
    if len(host) > MAX_DOMAIN_LENGTH:
        return None
    domain = host.lower().removeprefix("www.")
    last = domain.rpartition(".")[2]
    if last == domain or last.isdigit():
        return None
    return domain


def _canonical_domain(value: str) -> str:
    text = _trimmed(value)
    if has_control_character(text):
        raise InvalidCompany("contains control characters")
    host = _host_of(text)
    if host.startswith("[") or _is_ip_address(host):
        raise InvalidCompany("is an IP address, not a domain")
    if _WHITE_SPACE.search(host):
        raise InvalidCompany("contains white space")
    domain = _to_ascii(host.rstrip(".")).removeprefix("www.")
    if _is_ip_address(domain):
        raise InvalidCompany("is an IP address, not a domain")
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidCompany("needs a dot: a single label (such as 'localhost') is no domain")
    if len(domain) > MAX_DOMAIN_LENGTH:
        raise InvalidCompany(f"is longer than {MAX_DOMAIN_LENGTH} characters")
    for label in labels:
        if not _DOMAIN_LABEL.fullmatch(label):
            raise InvalidCompany(f"has an invalid label: '{label}'")
    if labels[-1].isdigit():
        raise InvalidCompany("ends in a number: not a domain")
    return domain


def _to_ascii(host: str) -> str:
    """The host in lower-case ASCII, IDNA (UTS #46) applied. A host of plain ASCII letters,
    digits and inner hyphens is only lower-cased, which is all UTS #46 does to it: the IDNA
    library takes 15 µs a host, the most of a company check's time."""
    lowered = host.lower()
    labels = lowered.split(".")
    if len(lowered) <= MAX_DOMAIN_LENGTH and all(map(_PLAIN_LABEL.fullmatch, labels)):
        return lowered
    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise InvalidCompany("is not a valid domain name") from None


def _host_of(text: str) -> str:
    """The host part of a domain, `@domain`, e-mail address or URL."""
    lowered = text.lower()
    if lowered.startswith("mailto:"):
        text = text[len("mailto:") :]
    elif "://" in text or text.startswith("//"):
        try:
            rest = strip_scheme(text)
        except InvalidIdentifier as error:
            raise InvalidCompany(str(error)) from None
        authority = rest[: first_index(rest, "/?#")]
        host_port = authority.rpartition("@")[2]  # userinfo is ignored
        if host_port.startswith("["):
            return host_port
        return host_port.partition(":")[0]
    # An e-mail address or `@domain`: what follows the last `@`; the local part is no company.
    host = text.rpartition("@")[2]
    return host[: first_index(host, "/?#")]


def _is_ip_address(host: str) -> bool:
    bare = host.strip("[]")
    # An address is IPv6 (with a colon) or dotted decimal IPv4: the common case asks no parser.
    if ":" not in bare and not bare.rpartition(".")[2].isdigit():
        return False
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return False
    return True


def parent_domains(domain: str) -> list[str]:
    """`domain` and every domain it is a subdomain of, down to two labels: the blocks that
    match it (`mail.eu.acme.com` -> mail.eu.acme.com, eu.acme.com, acme.com)."""
    parents = [domain]
    dot = domain.find(".")
    while (next_dot := domain.find(".", dot + 1)) != -1:
        parents.append(domain[dot + 1 :])
        dot = next_dot
    return parents


class Company(NamedTuple):
    """What is known of a lead's company, canonical: what company blocks are matched against."""

    linkedin: str | None = None
    domain: str | None = None
    email_domain: str | None = None


def email_domain(email: str | None) -> str | None:
    """The canonical domain of an e-mail address; None without one, or when what follows its
    `@` is no valid domain (then no domain block can match it)."""
    if email is None or "@" not in email:
        return None
    try:
        return canonicalise_domain(email.rpartition("@")[2])
    except InvalidCompany:
        return None


def company_of(contact: Contact) -> Company:
    """The company of a campaign lead (its fields are canonical already)."""
    return Company(contact.company_linkedin, contact.company_domain, email_domain(contact.email))


def company_keys(company: Company) -> list[tuple[CompanyKind, str]]:
    """The (kind, value) keys a company block must equal to stop a lead, in order: its LinkedIn
    company, then every domain a domain block would match — its company domain, its e-mail's
    domain, and each parent of either."""
    keys: dict[tuple[CompanyKind, str], None] = {}
    if company.linkedin is not None:
        keys[(CompanyKind.LINKEDIN_COMPANY, company.linkedin)] = None
    for own in (company.domain, company.email_domain):
        if own is not None:
            keys.update(((CompanyKind.DOMAIN, parent), None) for parent in parent_domains(own))
    return list(keys)
