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

import contextlib
import ipaddress
import re
import unicodedata

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
from leadblock.domain.records import CompanyKind

MAX_SLUG_LENGTH = 100
MAX_DOMAIN_LENGTH = 253
_SLUG_PUNCTUATION = frozenset("-_.")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
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
    text = _trimmed(value)
    if has_control_character(text):
        raise InvalidCompany("contains control characters")
    host = _host_of(text)
    if host.startswith("[") or _is_ip_address(host):
        raise InvalidCompany("is an IP address, not a domain")
    if any(char.isspace() for char in host):
        raise InvalidCompany("contains white space")
    try:
        ascii_host = idna.encode(host.rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidCompany("is not a valid domain name") from None
    domain = ascii_host.lower().removeprefix("www.")
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
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parent_domains(domain: str) -> list[str]:
    """`domain` and every domain it is a subdomain of, down to two labels: the blocks that
    match it (`mail.eu.acme.com` -> mail.eu.acme.com, eu.acme.com, acme.com)."""
    labels = domain.split(".")
    return [".".join(labels[start:]) for start in range(len(labels) - 1)]


def company_keys(
    linkedin_company: str | None, domain: str | None, email: str | None
) -> list[tuple[CompanyKind, str]]:
    """The (kind, value) keys a company block must equal to stop a lead: its canonical LinkedIn
    company, and every domain a domain block would match — its company domain, its e-mail's
    domain, and each parent of either. An e-mail whose domain is no valid domain gives none."""
    keys: dict[tuple[CompanyKind, str], None] = {}
    if linkedin_company is not None:
        keys[(CompanyKind.LINKEDIN_COMPANY, linkedin_company)] = None
    email_domain = None
    if email is not None:
        with contextlib.suppress(InvalidCompany):
            email_domain = canonicalise_domain(email.rpartition("@")[2])
    for own in (domain, email_domain):
        if own is not None:
            keys.update(((CompanyKind.DOMAIN, parent), None) for parent in parent_domains(own))
    return list(keys)
