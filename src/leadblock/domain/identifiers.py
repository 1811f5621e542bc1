"""Canonical form of LinkedIn public identifiers (SPEC, "Public identifiers: canonical form").

Every identifier that enters leadblock, by any route, goes through `canonicalise_identifier`:
a bare identifier or a profile URL in, the one canonical identifier out, or an
`InvalidIdentifier` whose message names the rule that was broken. An input longer than
MAX_INPUT_LENGTH is refused before any other work, and every step is linear in its length.

    John-Doe                                        -> john-doe
    https://www.linkedin.com/in/john-doe/           -> john-doe
    fr.linkedin.com/in/JOHN-DOE?trk=x               -> john-doe
    jos%C3%A9-garc%C3%ADa                           -> josé-garcía
"""

from __future__ import annotations

import re
import unicodedata

MIN_LENGTH = 3
MAX_LENGTH = 100
# Any input longer than this is refused before any other work (SPEC: "too long").
MAX_INPUT_LENGTH = 2048


class InvalidIdentifier(ValueError):
    """The value is not a public identifier or LinkedIn profile URL; str() says why."""


# Unicode White_Space (PropList.txt).
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15): zero-width
# space/joiners, LRM/RLM and bidi controls, BOM, soft hyphen, variation selectors, fillers, tags.
_DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_DEFAULT_IGNORABLE_CLASS = "".join(
    f"\\U{low:08x}-\\U{high:08x}" for low, high in _DEFAULT_IGNORABLE_RANGES
)
_DEFAULT_IGNORABLE = re.compile(f"[{_DEFAULT_IGNORABLE_CLASS}]")
# A run of trimmable characters at the start of a text: one greedy pass, nothing to backtrack.
# The end is trimmed by running it over the reversed text; a search for `[...]+$` instead
# restarts at every character of an inner run of spaces and scans to its end (quadratic).
_TRIMMABLE_RUN = re.compile(f"[{_DEFAULT_IGNORABLE_CLASS}{''.join(_WHITE_SPACE)}]*")
# No code point has a canonical decomposition longer than 4 (U+1F82 -> α U+0313 U+0300 U+0345),
# NFD never shortens text and NFD(NFC(t)) == NFD(t), so len(NFC(t)) >= len(t) / 4; str.lower()
# never shortens text either. Text longer than 4 * MAX_LENGTH cannot give a short enough identifier.
_MAX_NFD_EXPANSION = 4
_LONGER_THAN_MAX = f"is longer than {MAX_LENGTH} characters"

# Emoji skin-tone modifiers are Sk, not So, but LinkedIn names carry them beside emoji.
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_ALLOWED_PUNCTUATION = frozenset("-_")

_SCHEME_WITH_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_ANY_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_PERCENT_TRIPLET = re.compile(r"%([0-9A-Fa-f]{2})")
# General_Category Cc, a set that Unicode's stability policy freezes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# First path segments (lower-cased) that lead to a public identifier, longest first.
_PROFILE_PREFIXES = (("mwlite", "profile", "in"), ("mwlite", "in"), ("in",))
_NOT_A_PERSON = {
    "company": "a company page",
    "school": "a school page",
    "showcase": "a showcase page",
}


# The everyday shape, already canonical but for case: no rule below can change it otherwise.
_PLAIN_ASCII = re.compile(r"[A-Za-z0-9_-]{3,100}")


def canonicalise_identifier(value: str) -> str:
    """Return the canonical public identifier of a bare identifier or profile URL.

    Linear in the length of `value`, which is checked first.
    """
    if len(value) > MAX_INPUT_LENGTH:
        raise InvalidIdentifier(f"is too long (more than {MAX_INPUT_LENGTH:,} characters)")
    if _PLAIN_ASCII.fullmatch(value):
        return value.lower()
    trimmed = trim(value)
    if not trimmed:
        raise InvalidIdentifier("is empty")
    if _is_url(trimmed):
        raw = _identifier_from_url(trimmed)
    else:
        _reject_path_or_handle(trimmed)
        raw = trimmed
    return _canonical(raw)


def trim(value: str) -> str:
    start = _trimmable_prefix_length(value)
    if start == len(value):
        return ""
    return value[start : len(value) - _trimmable_prefix_length(value[::-1])]


def _trimmable_prefix_length(text: str) -> int:
    match = _TRIMMABLE_RUN.match(text)
    return match.end() if match else 0


def has_control_character(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _is_url(value: str) -> bool:
    lowered = value.lower()
    return "linkedin.com" in lowered or lowered.startswith(("http://", "https://"))


def _reject_path_or_handle(value: str) -> None:
    lowered = value.lower()
    if lowered.startswith("urn:"):
        raise InvalidIdentifier("is a LinkedIn URN, not a public identifier")
    if value.startswith("@"):
        raise InvalidIdentifier("is a handle; send the bare public identifier without '@'")
    if "/" in value:
        raise InvalidIdentifier(
            "looks like a path; send a full linkedin.com/in/… URL or the bare identifier"
        )


def linkedin_path_segments(url: str) -> list[str]:
    """The path segments of a linkedin.com URL, still percent-encoded; `InvalidIdentifier` if
    it is no http(s) URL of a linkedin.com host."""
    if _CONTROL.search(url):
        raise InvalidIdentifier("URL contains control characters")
    rest = strip_scheme(url)
    authority_end = first_index(rest, "/?#")
    authority, rest = rest[:authority_end], rest[authority_end:]
    _check_host(authority)
    path = rest[: first_index(rest, "?#")]
    # Split before decoding, so an encoded %2F stays inside its segment (and fails validation).
    return path.split("/")[1:] if path.startswith("/") else []


def _identifier_from_url(url: str) -> str:
    segments = linkedin_path_segments(url)
    lowered = [segment.lower() for segment in segments]
    for prefix in _PROFILE_PREFIXES:
        if tuple(lowered[: len(prefix)]) == prefix:
            identifier = segments[len(prefix)] if len(segments) > len(prefix) else ""
            if not identifier:
                raise InvalidIdentifier("profile URL has no public identifier after /in/")
            return identifier
    raise InvalidIdentifier(_why_not_a_profile(lowered))


def strip_scheme(url: str) -> str:
    if url.startswith("//"):
        return url[2:]
    match = _SCHEME_WITH_AUTHORITY.match(url)
    if match:
        if match.group(1).lower() not in ("http", "https"):
            raise InvalidIdentifier(f"URL scheme '{match.group(1)}' is not http or https")
        return url[match.end() :]
    match = _ANY_SCHEME.match(url)
    if not match:
        return url
    scheme = match.group(1)
    if scheme.lower() in ("http", "https"):
        raise InvalidIdentifier("URL scheme must be followed by //")
    # `linkedin.com:443/in/x` is a host with a port, not a scheme called "linkedin.com".
    if re.match(r"^\d*(?:[/?#]|$)", url[match.end() :]):
        return url
    raise InvalidIdentifier(f"URL scheme '{scheme}' is not http or https")


def _check_host(authority: str) -> None:
    host_port = authority.rpartition("@")[2]  # userinfo is ignored
    if host_port.startswith("["):
        raise InvalidIdentifier("not a LinkedIn URL (host is an IP address)")
    host, colon, port = host_port.partition(":")
    if colon and not (port.isascii() and port.isdigit()):
        raise InvalidIdentifier("URL port is not a number")
    if not host:
        raise InvalidIdentifier("URL has no host")
    if not host.isascii():
        raise InvalidIdentifier("not a LinkedIn URL (host is not linkedin.com)")
    host = host.lower()
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        raise InvalidIdentifier("not a LinkedIn URL (host is not linkedin.com)")
    labels = host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels) or any(
        label.startswith("xn--") for label in labels
    ):
        raise InvalidIdentifier("not a LinkedIn URL (host is not linkedin.com)")


def _why_not_a_profile(segments: list[str]) -> str:
    first = segments[0] if segments else ""
    if first in _NOT_A_PERSON:
        return f"{_NOT_A_PERSON[first]} is not a person's profile"
    if first == "pub":
        return "legacy /pub/ URL carries no public identifier"
    if segments[:2] == ["profile", "view"]:
        return "legacy /profile/view URL carries no public identifier"
    if first == "sales":
        return "Sales Navigator URL carries no public identifier"
    if first == "talent":
        return "Recruiter URL carries no public identifier"
    return "not a LinkedIn profile URL (expected linkedin.com/in/<identifier>)"


def first_index(text: str, stops: str) -> int:
    positions = [index for index in (text.find(stop) for stop in stops) if index >= 0]
    return min(positions, default=len(text))


def _canonical(raw: str) -> str:
    identifier = normalise(raw, MAX_LENGTH)
    _validate(identifier)
    return identifier


def normalise(raw: str, max_length: int) -> str:
    """`raw` percent-decoded once, default-ignorables dropped, NFC, lower-cased: the canonical
    text of an identifier (or company slug) that may still break a character rule. Text that
    cannot get down to `max_length` characters is refused before NFC."""
    visible = _DEFAULT_IGNORABLE.sub("", percent_decode(raw))
    # NFC sorts each run of combining marks by insertion (quadratic in the run's length), so it
    # only gets text that can still give an identifier short enough; the rest fails as it would.
    if len(visible) > _MAX_NFD_EXPANSION * max_length:
        raise InvalidIdentifier(f"is longer than {max_length} characters")
    return unicodedata.normalize("NFC", visible).lower()


def percent_decode(raw: str) -> str:
    """Decode %XX escapes exactly once, as strict UTF-8; `+` stays a plus sign."""
    if "%" not in raw:
        _check_encodable(raw)
        return raw
    if raw.count("%") != len(_PERCENT_TRIPLET.findall(raw)):
        raise InvalidIdentifier("has a '%' that is not followed by two hex digits")
    _check_encodable(raw)
    parts = _PERCENT_TRIPLET.split(raw)
    # split() alternates literal text and captured hex pairs.
    data = b"".join(
        bytes.fromhex(part) if index % 2 else part.encode("utf-8")
        for index, part in enumerate(parts)
    )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidIdentifier("percent-encoding is not valid UTF-8") from None


def _check_encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidIdentifier("contains an unpaired surrogate (not valid Unicode)") from None


def _validate(identifier: str) -> None:
    length = len(identifier)
    if length < MIN_LENGTH:
        raise InvalidIdentifier(f"is shorter than {MIN_LENGTH} characters")
    if length > MAX_LENGTH:
        raise InvalidIdentifier(_LONGER_THAN_MAX)
    for char in identifier:
        if not _is_allowed(char):
            raise InvalidIdentifier(
                f"contains a character that is not allowed: {describe_character(char)}"
            )


def _is_allowed(char: str) -> bool:
    category = unicodedata.category(char)
    return (
        category[0] in "LM"
        or category in ("Nd", "So")
        or char in _ALLOWED_PUNCTUATION
        or char in _SKIN_TONES
    )


def describe_character(char: str) -> str:
    name = unicodedata.name(char, "")
    printable = char.isprintable() and not char.isspace()
    shown = f"'{char}' " if printable else ""
    return f"{shown}U+{ord(char):04X}{' ' + name if name else ''}"
