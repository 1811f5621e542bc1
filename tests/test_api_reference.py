"""docs/api.md against the OpenAPI document, and the links of the README and docs/.

The reference has one heading per operation (`### `POST /api/v1/blocked-leads``) and one row of
its table of errors per error code (`| `invalid_input` | 400 | …`); both are compared with the
document, in both directions, so neither can drift. The document is the one `/openapi.json`
serves, built in process by the app itself (no server, no database opened).

Every link of the README and of docs/ must stay inside the repository and reach a file (and, for
a `#fragment` into Markdown, a heading) that exists: users' clones have nothing else.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from leadblock.app import create_app
from leadblock.config import Settings

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "api.md"
README = ROOT / "README.md"
MARKDOWN = [README, *sorted((ROOT / "docs").rglob("*.md"))]
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

# "### `POST /api/v1/blocked-leads`": an operation's heading in the reference.
ENDPOINT_HEADING = re.compile(r"^#{2,6} `([A-Z]+) (/\S*)`$")
# The table of errors: its header row, then rows "| `invalid_input` | 400 | …".
ERROR_TABLE_HEADER = re.compile(r"^\| code \| status \|")
ERROR_ROW = re.compile(r"^\| `([a-z_]+)` \| \d{3}")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# `[text](target "title")`, `![alt](<target with spaces>)`: the target is one of the two groups.
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*(?:<([^>]*)>|([^)\s]*))(?:\s+[^)]*)?\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?", re.MULTILINE)
HTML_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""")
HTML_ANCHOR = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
WEB_SCHEMES = frozenset({"http", "https", "mailto"})


def _openapi_document() -> dict[str, Any]:
    """The document the server serves. `create_app` opens no connection; the app never starts."""
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(Settings(database_url=f"sqlite:///{directory}/unused.db"))
        try:
            return app.openapi()
        finally:
            app.state.database.dispose()


def _prose(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        marker = FENCE.match(line)
        if fence is None and marker:
            fence = marker.group(1)
        elif fence is not None:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
        else:
            lines.append(line)
    return lines


DOCUMENT = _openapi_document()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in HTTP_METHODS
)
ERROR_CODES: list[str] = DOCUMENT["components"]["schemas"]["ErrorResponse"]["properties"]["code"][
    "enum"
]
REFERENCE_LINES = _prose(REFERENCE.read_text(encoding="utf-8"))
HEADINGS = [
    (match.group(1), match.group(2))
    for match in map(ENDPOINT_HEADING.match, REFERENCE_LINES)
    if match
]


def _error_rows(lines: list[str]) -> list[str]:
    """The codes of the rows of the table of errors (the table under `| code | status |`)."""
    start = next((i for i, line in enumerate(lines) if ERROR_TABLE_HEADER.match(line)), None)
    if start is None:
        return []
    codes: list[str] = []
    for line in lines[start + 2 :]:  # after the header and its |---| line
        if not line.startswith("|"):
            break
        row = ERROR_ROW.match(line)
        assert row, f"not a row of the table of errors: {line}"
        codes.append(row.group(1))
    return codes


ERROR_ROWS = _error_rows(REFERENCE_LINES)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_has_its_heading_in_the_reference(method: str, path: str) -> None:
    assert (method, path) in HEADINGS, f"docs/api.md has no heading ### `{method} {path}`"


@pytest.mark.parametrize(("method", "path"), HEADINGS)
def test_every_heading_of_the_reference_is_an_operation(method: str, path: str) -> None:
    assert (method, path) in OPERATIONS, f"{method} {path} is no operation of the OpenAPI document"


def test_no_operation_has_two_headings() -> None:
    assert [heading for heading, count in Counter(HEADINGS).items() if count > 1] == []


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_code_has_its_row_in_the_reference(code: str) -> None:
    assert code in ERROR_ROWS, f"the table of errors of docs/api.md has no row for `{code}`"


@pytest.mark.parametrize("code", ERROR_ROWS)
def test_every_error_row_of_the_reference_is_a_code(code: str) -> None:
    assert code in ERROR_CODES, f"`{code}` is not a code of the ErrorResponse schema"


def test_no_error_code_has_two_rows() -> None:
    assert [code for code, count in Counter(ERROR_ROWS).items() if count > 1] == []


def _links(text: str) -> list[str]:
    """Every link target of a Markdown text: inline links and images, reference definitions and
    HTML `href`/`src`, outside code blocks and code spans."""
    prose = "\n".join(CODE_SPAN.sub("", line) for line in _prose(text))
    return [
        *(bracketed or bare for bracketed, bare in INLINE_LINK.findall(prose)),
        *REFERENCE_DEFINITION.findall(prose),
        *HTML_LINK.findall(prose),
    ]


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lower-cased, punctuation but `-` and `_`
    dropped, each space a hyphen (`## Webhooks (issue #16)` -> `webhooks-issue-16`)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _anchors(markdown: Path) -> set[str]:
    """The `#fragment`s a Markdown file has: its headings' (repeats get -1, -2, …) and HTML ids."""
    text = markdown.read_text(encoding="utf-8")
    anchors: set[str] = set(HTML_ANCHOR.findall(text))
    seen: Counter[str] = Counter()
    for match in map(HEADING.match, _prose(text)):
        if match:
            slug = _slug(match.group(1))
            anchors.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
            seen[slug] += 1
    return anchors


def _link_problem(source: Path, target: str) -> str | None:
    """Why the link `target` of the file `source` is broken or leaves the repository, or None."""
    scheme = SCHEME.match(target)
    if scheme:
        if scheme.group(1).lower() in WEB_SCHEMES:
            return None
        return f"{target}: a {scheme.group(1)}: link leaves the repository"
    if target.startswith("//"):  # a web address without its scheme
        return None
    path, _, fragment = target.partition("#")
    path = path.partition("?")[0]
    if path:
        base = ROOT if path.startswith("/") else source.parent
        resolved = (base / unquote(path).lstrip("/")).resolve()
        if not resolved.is_relative_to(ROOT):
            return f"{target}: resolves outside the repository"
        if not resolved.exists():
            return f"{target}: no such file in the repository"
    else:
        resolved = source
    if fragment and resolved.suffix == ".md" and unquote(fragment) not in _anchors(resolved):
        return f"{target}: {resolved.relative_to(ROOT)} has no heading #{fragment}"
    return None


@pytest.mark.parametrize("markdown", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_stays_in_the_repository_and_exists(markdown: Path) -> None:
    problems = [
        problem
        for target in _links(markdown.read_text(encoding="utf-8"))
        if (problem := _link_problem(markdown, target)) is not None
    ]
    assert problems == []


@pytest.mark.parametrize(
    "document",
    [README, *sorted(path for path in (ROOT / "docs").rglob("*") if path.is_file())],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_nothing_mentions_a_directory_beside_the_repository(document: Path) -> None:
    assert b"../shared" not in document.read_bytes()


def test_the_readme_links_the_api_reference() -> None:
    assert "docs/api.md" in _links(README.read_text(encoding="utf-8"))
