"""Schemathesis against the live server's /openapi.json, on each backend, with every check it
has: the document states exactly what the server enforces, in both directions.

Every phase runs (examples, coverage, fuzzing, stateful): requests valid per the document are
accepted (`positive_data_acceptance`), invalid ones refused (`negative_data_rejection`), nothing
is a 5xx, every answer has a documented status, content type, headers and body, undeclared
methods get a 405 with an `Allow` header, a missing or wrong key a 401 (`ignored_auth`), and so
on. The checks' settings, and the few narrow exceptions with their reasons, are in
schemathesis.toml.

Rules no JSON Schema keyword can state are custom string formats of the document
(`linkedin-identifier`, `lead-email`, `page-cursor`, `blocklist-csv`, `linkedin-company`,
`company-domain`, `future-date-time`, `company-blocklist-csv`); the generators below draw
valid values of each, so that "valid per the document" is honestly valid for the server too.
Rules between two query parameters, which OpenAPI cannot state at all (their descriptions do),
are kept by `filter_case` below.

Two workspaces' keys are the run's identities (Web Fuzzing Commons auth), so that
`object_level_authorization` replays one workspace's reads of its own records with the other's
key: they must be not found.

`make test` draws 50 examples per operation in the fuzzing phase; `make fuzz` many more
(LEADBLOCK_FUZZ_EXAMPLES). The run is seeded, so a failure reproduces; LEADBLOCK_FUZZ_SEED picks
another seed.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.engine import Status, events, from_schema
from schemathesis.generation.meta import TestPhase

from leadblock.api.schemas import (
    COMPANY_CSV_FORMAT,
    CSV_FORMAT,
    CURSOR_FORMAT,
    DOMAIN_FORMAT,
    EMAIL_FORMAT,
    EXPIRY_FORMAT,
    IDENTIFIER_FORMAT,
    LINKEDIN_COMPANY_FORMAT,
    REASON_PATTERN,
    WEBHOOK_URL_FORMAT,
)
from leadblock.domain.companies import (
    InvalidCompany,
    canonicalise_domain,
    canonicalise_linkedin_company,
)
from leadblock.domain.contacts import InvalidContact, normalise_email
from leadblock.domain.cursors import (
    IDENTIFIER_KEY,
    RECORD_ID,
    InvalidCursor,
    decode_cursor,
    encode_cursor,
)
from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.ids import now_ms
from leadblock.domain.timestamps import iso
from leadblock.services import workspaces
from leadblock.storage.db import Database
from tests.api.test_openapi import OPERATION_IDS
from tests.server import Server, free_port, running_server

ROOT = Path(__file__).parents[2]
EXAMPLES = int(os.environ.get("LEADBLOCK_FUZZ_EXAMPLES", "50"))
SEED = int(os.environ.get("LEADBLOCK_FUZZ_SEED", "20261124"))


def _canonical(value: str) -> bool:
    try:
        canonicalise_identifier(value)
    except InvalidIdentifier:
        return False
    return True


def _email(value: str) -> bool:
    try:
        return normalise_email(value) is not None
    except InvalidContact:
        return False


# What LinkedIn puts in identifiers: mostly ASCII, but also accents, other scripts and emoji.
_IDENTIFIER_CHARACTER = st.one_of(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"),
    st.characters(categories=("L", "Mn", "Nd", "So")),
)
_BARE = st.text(_IDENTIFIER_CHARACTER, min_size=3, max_size=100)
_PADDING = st.sampled_from(["", "", " ", "\t", "\u200b", " \u00a0"])


@st.composite
def _profile_url(draw: st.DrawFn) -> str:
    identifier = draw(_BARE)
    if draw(st.booleans()):
        identifier = quote(identifier, safe="")
    scheme = draw(st.sampled_from(["https://", "http://", "//", ""]))
    host = draw(st.sampled_from(["linkedin.com", "www.linkedin.com", "fr.linkedin.com"]))
    host = host.upper() if draw(st.booleans()) else host
    prefix = draw(st.sampled_from(["in", "IN", "mwlite/in", "mwlite/profile/in"]))
    rest = draw(st.sampled_from(["", "/", "/details/experience/", "?trk=x", "/#top"]))
    return f"{scheme}{host}/{prefix}/{identifier}{rest}"


@st.composite
def _padded(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    return draw(_PADDING) + draw(inner) + draw(_PADDING)


# Bare identifiers and profile URLs in their everyday shapes; the filter only drops the rare draw
# that canonicalisation changes out of bounds (`İ` lower-cases to two characters).
IDENTIFIERS = _padded(st.one_of(_BARE, _profile_url())).filter(_canonical)
EMAILS = _padded(st.emails()).filter(_email)
# Cursors the service could have issued: a direction and a (timestamp, id) position.
CURSORS = st.builds(
    encode_cursor,
    st.booleans(),
    st.tuples(st.integers(0, 2**63 - 1), st.text("0123456789abcdef", min_size=32, max_size=32)),
)
_CSV_TEXT = st.text(st.characters(codec="utf-8").filter(str.isprintable), max_size=20)


@st.composite
def _blocklist_csv(draw: st.DrawFn) -> str:
    header = draw(
        st.sampled_from(
            [
                ["publicIdentifier"],
                ["publicIdentifier", "reason"],
                ["Reason", "note", "PUBLICIDENTIFIER"],
            ]
        )
    )
    cells = {
        "publicidentifier": IDENTIFIERS,
        "reason": st.from_regex(REASON_PATTERN, fullmatch=True),
        "note": _CSV_TEXT,
    }
    rows = draw(
        st.lists(st.tuples(*(cells[name.lower()] for name in header)), min_size=1, max_size=5)
    )
    text = io.StringIO()
    # Quoted as needed for the line ends used: a bare CR in an unquoted cell ends a row.
    if draw(st.booleans()):
        writer = csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    else:
        writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return draw(st.sampled_from(["", "\ufeff"])) + text.getvalue()


def _is(canonicalise: Any) -> Any:
    def valid(value: str) -> bool:
        try:
            canonicalise(value)
        except InvalidCompany:
            return False
        return True

    return valid


_SLUG = st.text(
    st.one_of(
        st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_."),
        st.characters(categories=("L", "Nd")),
    ),
    min_size=1,
    max_size=100,
)
LINKEDIN_COMPANIES = _padded(
    st.one_of(
        _SLUG,
        st.builds(
            "{}linkedin.com/company/{}{}".format,
            st.sampled_from(["https://www.", "http://", "", "fr."]),
            _SLUG.map(lambda slug: quote(slug, safe="")),
            st.sampled_from(["", "/", "/about/", "?trk=x"]),
        ),
    )
).filter(_is(canonicalise_linkedin_company))
_DOMAIN = st.from_regex(r"(?:[a-z0-9]{1,12}\.){1,3}[a-z]{2,6}", fullmatch=True)
DOMAINS = _padded(
    st.one_of(
        _DOMAIN,
        _DOMAIN.map(str.upper),
        _DOMAIN.map("@{}".format),
        _DOMAIN.map("jane@{}".format),
        _DOMAIN.map("https://www.{}/careers".format),
    )
).filter(_is(canonicalise_domain))
# Instants from a day to fifty years ahead, in UTC or with an offset.
EXPIRIES = st.builds(
    lambda ahead_ms, offset: iso(now_ms() + ahead_ms).replace("Z", offset),
    st.integers(86_400_000, 50 * 365 * 86_400_000),
    st.sampled_from(["Z", "Z", "+00:00", "-00:00"]),
)


# Webhook URLs to the one host:port the fuzz server allows (nothing listens there: deliveries
# fail, retried); no other host is ever resolved, so the run asks no DNS server anything.
WEBHOOK_PORT = free_port()
WEBHOOK_URLS = st.builds(
    "http://127.0.0.1:{}/{}".format,
    st.just(WEBHOOK_PORT),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-_/.~", max_size=40),
)


@st.composite
def _company_csv(draw: st.DrawFn) -> str:
    header = draw(
        st.sampled_from(
            [["kind", "value"], ["kind", "value", "name", "reason", "expiresAt"], ["Value", "KIND"]]
        )
    )
    kinds = draw(st.lists(st.sampled_from(["linkedinCompany", "domain"]), min_size=1, max_size=5))
    values = {"linkedinCompany": LINKEDIN_COMPANIES, "domain": DOMAINS}
    cells = {
        "name": st.sampled_from(["", "Acme", "Globex Corp."]),
        "reason": st.from_regex(REASON_PATTERN, fullmatch=True),
        "expiresat": st.one_of(st.just(""), EXPIRIES),
    }
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for kind in kinds:
        row = {"kind": kind, "value": draw(values[kind])}
        writer.writerow([row.get(name.lower()) or draw(cells[name.lower()]) for name in header])
    return text.getvalue()


schemathesis.openapi.format(IDENTIFIER_FORMAT, IDENTIFIERS)
schemathesis.openapi.format(LINKEDIN_COMPANY_FORMAT, LINKEDIN_COMPANIES)
schemathesis.openapi.format(DOMAIN_FORMAT, DOMAINS)
schemathesis.openapi.format(EXPIRY_FORMAT, EXPIRIES)
schemathesis.openapi.format(COMPANY_CSV_FORMAT, _company_csv())
schemathesis.openapi.format(EMAIL_FORMAT, EMAILS)
schemathesis.openapi.format(CURSOR_FORMAT, CURSORS)
schemathesis.openapi.format(CSV_FORMAT, _blocklist_csv())
schemathesis.openapi.format(WEBHOOK_URL_FORMAT, WEBHOOK_URLS)
# The import's body is CSV text, sent as it is.
schemathesis.serializer.alias("text/csv", "text/plain")

# The order of each list's cursors: events and campaigns newest first, a campaign's leads in
# enrolment order, the blocklist as `sort` says.
_DESCENDING = {
    "listEvents": True,
    "listCampaigns": True,
    "listCampaignLeads": False,
    "listCampaignBlocks": True,
    "listCompanyBlocks": True,
}


# The tie-breaking key inside a cursor: a record id, or a campaign block's identifier.
_CURSOR_KEYS = {"listCampaignBlocks": IDENTIFIER_KEY}


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> bool:
    """Keep valid cases valid across parameters: a cursor continues the list and sort order it
    was issued for, and comes without an offset. (Invalid cases are all kept.)"""
    query = case.query if isinstance(case.query, dict) else {}
    cursor = query.get("cursor")
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return True
    # A dry run creates nothing a next step could use (what it would create has `id: null`):
    # the stateful phase chains real writes; every other phase sends dry runs too.
    dry_run = str(query.get("dryRun", "")).lower() in ("true", "1", "yes", "on")
    if case.meta.phase.name == TestPhase.STATEFUL and dry_run:
        return False
    operation_id = case.operation.definition.raw.get("operationId")
    # The events' identifier filter must be an identifier (a 400 otherwise): the coverage
    # phase draws boundary values (one character) without the format's generator.
    events_of = query.get("publicIdentifier")
    if operation_id == "listEvents" and isinstance(events_of, str) and not _canonical(events_of):
        return False
    # A campaign's blocks page by skip/take (WaLead) or by limit/cursor, never both at once.
    keyset = "limit" in query or cursor is not None
    if operation_id == "listCampaignBlocks" and keyset and ("skip" in query or "take" in query):
        return False
    if cursor is None:
        return True
    descending = _DESCENDING.get(operation_id, str(query.get("sort", "DESC")).upper() == "DESC")
    if query.get("offset", 0) != 0:
        return False
    try:
        decode_cursor(cursor, descending, _CURSOR_KEYS.get(operation_id, RECORD_ID))
    except InvalidCursor:
        return False
    return True


@pytest.fixture(scope="module")
def fuzz_server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own: `ignored_auth` and `missing_required_header` send thousands of
    requests without a key or with a wrong one, which the address's failed-key budget would
    soon answer with 429s (that budget is tested in test_rate_limit.py)."""
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    with running_server(
        database.url,
        log,
        LEADBLOCK_AUTH_FAILURE_RATE_LIMIT="1000000/second",
        LEADBLOCK_WEBHOOK_ALLOW_HTTP="true",
        LEADBLOCK_WEBHOOK_ALLOWED_HOSTS=f"127.0.0.1:{WEBHOOK_PORT}",
        LEADBLOCK_WEBHOOK_LIMIT="100000",
    ) as running:
        yield running


@pytest.mark.slow
def test_the_server_does_what_its_document_says(
    fuzz_server: Server, database: Database, tmp_path: Path
) -> None:
    identities = tmp_path / "identities.json"
    with database.transaction(write=True) as tx:
        users = [
            {"name": name, "fixedHeaders": [{"name": "x-api-key", "value": key}]}
            for name in ("fuzz", "fuzz-peer")
            for _workspace, _key, key in [workspaces.create_workspace(tx, name)]
        ]
    identities.write_text(json.dumps({"auth": users}))
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    config.update(seed=SEED, max_failures=None)
    project = config.projects.override
    project.update(base_url=fuzz_server.url)
    project.auth.update(wfc_path=str(identities), wfc_user="fuzz")
    assert project.auth.wfc is not None
    project.auth.wfc.peers = ["fuzz", "fuzz-peer"]
    project.generation.update(max_examples=EXAMPLES)
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json", config=config)

    failures: list[str] = []
    errors: list[str] = []
    # What the server answered, by operation, and by path to methods it does not serve.
    answers: dict[str, set[int]] = defaultdict(set)
    undeclared: dict[str, set[int]] = defaultdict(set)
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                case = recorder.cases[case_id].value
                if interaction.response is None:
                    continue
                status = interaction.response.status_code
                if case.method.upper() == case.operation.method.upper():
                    answers[case.operation.definition.raw["operationId"]].add(status)
                else:
                    undeclared[case.operation.path].add(status)
            for nodes in recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        failures.append(
                            f"{event.label} [{node.name}] {failure.title}\n{failure.message}\n"
                            f"{node.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception

    assert errors == []
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
    # The run reached the server's every answer: each operation accepted valid data, refused a
    # request without a key, and (where anything can be invalid) refused invalid data; each path
    # refused the methods it does not serve.
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == len(OPERATION_IDS)
    for operation in operations:
        definition = operation.definition.raw
        seen = answers[definition["operationId"]]
        assert any(200 <= status < 300 for status in seen), (definition["operationId"], seen)
        assert 401 in seen, (definition["operationId"], seen)
        # A record id in the path is opaque: any text is valid (and not found, a 404).
        if "requestBody" in definition or any(
            parameter["in"] == "query" for parameter in definition.get("parameters", [])
        ):
            assert 400 in seen, (definition["operationId"], seen)
    assert {operation.path for operation in operations} == {
        path for path, statuses in undeclared.items() if 405 in statuses
    }
