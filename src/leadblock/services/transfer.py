"""CSV export and import of the workspace blocklist.

Export streams in keyset-ordered chunks, each read in its own short transaction, so memory stays
flat and no lock is held for the length of a download. A cell that a spreadsheet would run as a
formula (starting with = + - @ tab or CR) is written with a leading `'`; so is a cell that
starts with `'` itself, which is how import knows to remove exactly one again and makes
export → import round-trip. The blocklist's text cells are made by the export's SQL, which does
for a million rows in the database what the `csv` module took most of the export's time for.

Import runs in two phases on one connection (`Database.pinned`). The upload is parsed and
validated row by row into a temporary table of that connection (`staged_leads`), which takes no
lock on the database and de-duplicates and sorts as it fills; memory stays flat whatever the
file's size. Only when every row is valid is one write transaction opened, and two statements
publish the staged leads, in identifier order, with their audit events — all or nothing, as for
JSON writes, and the write lock is held for those two statements only.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.ids import now_ms
from leadblock.domain.reasons import InvalidReason, normalise_reason
from leadblock.domain.records import Caller, CompanyBlock, CompanyKind
from leadblock.domain.timestamps import InvalidExpiry, iso, optional_iso
from leadblock.errors import InvalidInput, ItemError, LeadblockError
from leadblock.services import company_blocks, expiry
from leadblock.services.blocklist import count_message, expiry_of, require_writer
from leadblock.services.company_blocks import RawCompany
from leadblock.storage import blocked_leads as store
from leadblock.storage import company_blocks as company_store
from leadblock.storage import staged_leads
from leadblock.storage.db import Database, Transaction
from leadblock.storage.staged_leads import StagedLead

logger = logging.getLogger("leadblock")

EXPORT_COLUMNS = ("publicIdentifier", "reason", "createdAt", "id", "expiresAt")
MAX_IMPORT_ROWS = 1_000_000
MAX_REPORTED_ERRORS = 1000
# Progress is reported this often while validating: often enough for a bar to move on a
# small file, rarely enough to cost nothing.
PROGRESS_EVERY_ROWS = 1000
_EXPORT_CHUNK = 20_000
_STAGE_CHUNK = 10_000
# Also in the export's SQL (export-blocked-leads), which makes its lines in the database.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_LINE_BREAK = "\r\n"

# (phase, done, total): "validating" in bytes of the upload, then "blocking" in leads.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    rows: int
    blocked: int
    already_blocked: int
    duplicates: int
    extended: int = 0


def export_csv(database: Database, caller: Caller) -> Iterator[str]:
    """The workspace blocklist as CSV text, oldest first, yielded a chunk at a time; blocks
    that have expired are left out, swept or not. The database writes the text cells; the
    instants, shared by many rows, come from `iso`'s cache."""
    yield ",".join(EXPORT_COLUMNS) + _LINE_BREAK
    after, now = "", now_ms()
    while True:
        with database.transaction() as tx:
            rows = store.export_page(tx, caller.workspace, after, now, _EXPORT_CHUNK)
        if rows:
            yield "".join(
                [
                    f"{cells},{iso(created)},{id_},{optional_iso(expires) or ''}{_LINE_BREAK}"
                    for cells, created, id_, expires in rows
                ]
            )
        if len(rows) < _EXPORT_CHUNK:
            return
        after = rows[-1][2]


def import_csv(
    database: Database,
    caller: Caller,
    source: IO[bytes],
    progress: Progress | None = None,
    *,
    dry_run: bool = False,
) -> ImportOutcome:
    """Block every row of a CSV file (header row, `publicIdentifier` and optional `reason`).
    A dry run validates and counts the same way and writes nothing (any key may ask)."""
    with staged_import(database, caller, source, progress, dry_run=dry_run) as staged:
        if dry_run:
            with database.transaction() as tx:
                return staged.count(tx)
        with database.transaction(write=True) as tx:
            return staged.publish(tx)


@dataclass(frozen=True, slots=True)
class StagedImport:
    """A validated upload, staged and sorted on the pinned connection, ready to publish."""

    caller: Caller
    rows: int
    distinct: int
    report: Progress

    def publish(self, tx: Transaction) -> ImportOutcome:
        """Block the staged leads in `tx`, a write transaction of the pinned connection."""
        require_writer(self.caller)
        self.report("blocking", 0, self.distinct)
        at, workspace = now_ms(), self.caller.workspace
        extended = 0
        if store.has_expiring(tx, workspace):
            # Blocks that have expired go first (with their events), so the import blocks those
            # leads afresh; the others' expiry only ever moves later.
            expiry.expire_all_due(tx, workspace, at)
            extended = staged_leads.extend(tx, workspace, self.caller.key_id, at)
        blocked = store.insert_staged(tx, self.caller, at)
        self.report("blocking", self.distinct, self.distinct)
        return self._outcome(blocked, extended)

    def count(self, tx: Transaction) -> ImportOutcome:
        """What `publish` would answer now (a dry run): nothing is written."""
        self.report("blocking", 0, self.distinct)
        at, workspace = now_ms(), self.caller.workspace
        blocked = staged_leads.count_not_blocked(tx, workspace, at)
        extended = (
            staged_leads.count_extended(tx, workspace, at)
            if store.has_expiring(tx, workspace)
            else 0
        )
        self.report("blocking", self.distinct, self.distinct)
        return self._outcome(blocked, extended)

    def _outcome(self, blocked: int, extended: int) -> ImportOutcome:
        return ImportOutcome(
            rows=self.rows,
            blocked=blocked,
            already_blocked=self.distinct - blocked,
            duplicates=self.rows - self.distinct,
            extended=extended,
        )


@contextmanager
def staged_import(
    database: Database,
    caller: Caller,
    source: IO[bytes],
    progress: Progress | None = None,
    *,
    dry_run: bool = False,
) -> Iterator[StagedImport]:
    """Validate and stage `source` (`InvalidInput` listing bad rows), then hand the staged
    import over, its transactions pinned to the staging connection; the staging table is
    dropped when the block ends."""
    if not dry_run:
        require_writer(caller)
    report = progress or _no_progress
    with database.pinned():
        with database.transaction() as tx:
            staged_leads.create(tx)
        try:
            rows = _stage(database, source, report)
            with database.transaction() as tx:
                distinct = staged_leads.sort(tx)
            yield StagedImport(caller, rows, distinct, report)
        finally:
            _drop_staged(database)


def _drop_staged(database: Database) -> None:
    try:
        with database.transaction() as tx:
            staged_leads.drop(tx)
    except LeadblockError:
        # The connection failed; the next import on it drops the table before starting.
        logger.warning("could not drop an import's staging table", exc_info=True)


def _first_line_not_utf8(source: IO[bytes]) -> int:
    """The line of the first byte that is not UTF-8. The reader decodes ahead of the row it
    parses, so its own line count can be thousands of lines short: the upload is scanned again
    from the start, a megabyte at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    source.seek(0)
    line = 1
    while chunk := source.read(1 << 20):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            return line + chunk.count(b"\n", 0, max(0, error.start - pending))
        line += chunk.count(b"\n")
    return line


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    pass


def _stage(database: Database, source: IO[bytes], report: Progress) -> int:
    """Validate every row and stage the valid ones, a chunk per short transaction (no write
    lock: the staging table is the connection's own). Returns the number of data rows; raises
    `InvalidInput` listing bad rows."""
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    chunk: list[StagedLead] = []
    errors: list[ItemError] = []
    error_count = rows = 0

    def stage() -> None:
        with database.transaction() as tx:
            staged_leads.add(tx, chunk)
        chunk.clear()

    now = now_ms()
    try:
        identifier_column, reason_column, expiry_column = _columns(next(reader, None))
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if rows == MAX_IMPORT_ROWS:
                raise InvalidInput(f"The CSV file has more than {MAX_IMPORT_ROWS:,} rows.")
            value = _restore(row[identifier_column]) if identifier_column < len(row) else ""
            reason = (
                _restore(row[reason_column])
                if reason_column is not None and reason_column < len(row)
                else None
            )
            expires = (
                row[expiry_column].strip() or None
                if expiry_column is not None and expiry_column < len(row)
                else None
            )
            try:
                identifier, normalised = canonicalise_identifier(value), normalise_reason(reason)
                expires_at = expiry_of(expires, now)
            except (InvalidIdentifier, InvalidReason, InvalidExpiry) as error:
                error_count += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    prefix = "publicIdentifier " if isinstance(error, InvalidIdentifier) else ""
                    message = f"line {reader.line_num}: {prefix}{error}"
                    errors.append(ItemError(rows, value, message))
                rows += 1
                continue
            if not error_count:  # after a bad row, only the remaining errors are of interest
                lower = normalised and normalised.lower()
                chunk.append((identifier, rows, normalised, lower, expires_at))
                if len(chunk) == _STAGE_CHUNK:
                    stage()
            rows += 1
            if rows % PROGRESS_EVERY_ROWS == 0:
                report("validating", source.tell(), size)
    except UnicodeDecodeError:
        line = _first_line_not_utf8(source)
        raise InvalidInput(f"The CSV file is not valid UTF-8 (line {line:,}).") from None
    except csv.Error as error:
        raise InvalidInput(
            f"The CSV file is malformed at line {reader.line_num}: {error}."
        ) from None
    if error_count:
        shown = (
            ""
            if error_count <= MAX_REPORTED_ERRORS
            else f" (the first {MAX_REPORTED_ERRORS} listed)"
        )
        rows_word = "row" if error_count == 1 else "rows"
        raise InvalidInput(
            f"{error_count} invalid {rows_word}{shown}; nothing was written.", errors
        )
    if not rows:
        raise InvalidInput("The CSV file has no data rows.")
    if chunk:
        stage()
    report("validating", size, size)
    return rows


def _columns(header: list[str] | None) -> tuple[int, int | None, int | None]:
    if header is None:
        raise InvalidInput("The CSV file is empty; expected a header row with publicIdentifier.")
    names = [name.strip().lower() for name in header]
    if "publicidentifier" not in names:
        raise InvalidInput(
            "The CSV header has no publicIdentifier column "
            "(a header row is required and columns are separated by commas)."
        )
    reason = names.index("reason") if "reason" in names else None
    expires = names.index("expiresat") if "expiresat" in names else None
    return names.index("publicidentifier"), reason, expires


def _neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in _FORMULA_STARTS else cell


COMPANY_COLUMNS = ("kind", "value", "name", "reason", "expiresAt", "createdAt", "id")
MAX_COMPANY_IMPORT_ROWS = 100_000


def export_companies_csv(database: Database, caller: Caller) -> Iterator[str]:
    """The workspace's company blocks as CSV text, oldest first, a chunk at a time; blocks
    that have expired are left out. Import reads it back (`kind,value,name,reason,expiresAt`;
    the creation time and id are informative)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COMPANY_COLUMNS)
    after, now = "", now_ms()
    while True:
        with database.transaction() as tx:
            blocks = company_store.export_page(tx, caller.workspace, after, _EXPORT_CHUNK)
        writer.writerows(
            (
                block.kind.value,
                _neutralise(block.value),
                _neutralise(block.name or ""),
                _neutralise(block.reason or ""),
                "" if block.expires_at is None else iso(block.expires_at),
                iso(block.created_at),
                block.id,
            )
            for block in blocks
            if block.expires_at is None or block.expires_at > now
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(blocks) < _EXPORT_CHUNK:
            return
        after = blocks[-1].id


# (line in the file, the company as sent, or the kind sent when it names neither kind)
CompanyRow = tuple[int, RawCompany | str]


def import_companies(
    tx: Transaction, caller: Caller, rows: Sequence[CompanyRow]
) -> company_blocks.CompanyBlockOutcome:
    """Block the companies of `read_companies_csv`, all or nothing; every bad row is listed
    (by its position among the rows), in file order, naming its line."""
    require_writer(caller)
    at = now_ms()
    known = [position for position, (_line, row) in enumerate(rows) if isinstance(row, RawCompany)]
    errors = [
        ItemError(position, row, f"line {line}: kind must be linkedinCompany or domain")
        for position, (line, row) in enumerate(rows)
        if not isinstance(row, RawCompany)
    ]
    companies: list[CompanyBlock] = []
    duplicates = 0
    try:
        companies, duplicates = company_blocks.canonicalise_companies(
            [row for _line, row in rows if isinstance(row, RawCompany)],
            at,
            limit=MAX_COMPANY_IMPORT_ROWS,
        )
    except InvalidInput as error:
        if not error.errors:
            raise
        errors.extend(
            ItemError(known[e.index], e.value, f"line {rows[known[e.index]][0]}: {e.message}")
            for e in error.errors
        )
    if errors:
        errors.sort(key=lambda error: error.index)
        raise InvalidInput(count_message(len(errors), "invalid row"), errors[:MAX_REPORTED_ERRORS])
    return company_blocks.insert_companies(tx, caller, companies, duplicates, at)


def read_companies_csv(data: bytes) -> list[CompanyRow]:
    """The companies of a CSV upload (header row with `kind` and `value`; optional `name`,
    `reason`, `expiresAt`), as sent, with their lines: `import_companies` judges each (a row
    whose kind, in any case, is neither `linkedinCompany` nor `domain` is kept as that text).
    `InvalidInput` when the file itself is not such a CSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        line = _first_line_not_utf8(io.BytesIO(data))
        raise InvalidInput(f"The CSV file is not valid UTF-8 (line {line:,}).") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    companies: list[CompanyRow] = []
    try:
        header = next(reader, None)
        names = [name.strip().lower() for name in header or []]
        if "kind" not in names or "value" not in names:
            raise InvalidInput(
                "The CSV header needs kind and value columns "
                "(a header row is required and columns are separated by commas)."
            )
        columns: dict[str, int] = {
            name: names.index(name) for name in ("kind", "value", "name", "reason") if name in names
        }
        expiry_column = names.index("expiresat") if "expiresat" in names else None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(companies) == MAX_COMPANY_IMPORT_ROWS:
                raise InvalidInput(f"The CSV file has more than {MAX_COMPANY_IMPORT_ROWS:,} rows.")

            def cell(name: str, row: list[str] = row) -> str | None:
                index = columns.get(name)
                value = _restore(row[index]) if index is not None and index < len(row) else ""
                return value if value.strip() else None

            kind, value = (cell("kind") or "").strip(), cell("value") or ""
            expires = (
                row[expiry_column].strip()
                if expiry_column is not None and expiry_column < len(row)
                else ""
            )
            fields = {"name": cell("name"), "reason": cell("reason"), "expires_at": expires or None}
            if kind.lower() == CompanyKind.LINKEDIN_COMPANY.lower():
                companies.append((reader.line_num, RawCompany(linkedin_company=value, **fields)))
            elif kind.lower() == CompanyKind.DOMAIN:
                companies.append((reader.line_num, RawCompany(domain=value, **fields)))
            else:
                companies.append((reader.line_num, kind))
    except csv.Error as error:
        raise InvalidInput(
            f"The CSV file is malformed at line {reader.line_num}: {error}."
        ) from None
    if not companies:
        raise InvalidInput("The CSV file has no data rows.")
    return companies
