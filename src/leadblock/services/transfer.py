"""CSV export and import of the workspace blocklist.

Export streams in keyset-ordered chunks, each read in its own short transaction, so memory stays
flat and no lock is held for the length of a download. A cell that a spreadsheet would run as a
formula (starting with = + - @ tab or CR) is written with a leading `'`; so is a cell that
starts with `'` itself, which is how import knows to remove exactly one again and makes
export → import round-trip.

Import runs in two phases: the upload is parsed and validated row by row into a temporary file
(no transaction open, nothing written); only when every row is valid is one write transaction
opened and the rows inserted in batches of 10,000 — all or nothing, as for JSON writes.
"""

from __future__ import annotations

import csv
import io
import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from leadblock.domain.identifiers import InvalidIdentifier, canonicalise_identifier
from leadblock.domain.reasons import InvalidReason, normalise_reason
from leadblock.domain.records import Caller, LeadInput
from leadblock.domain.timestamps import iso
from leadblock.errors import InvalidInput, ItemError
from leadblock.services.blocklist import MAX_LEADS_PER_REQUEST, insert_leads, require_writer
from leadblock.storage import blocked_leads as store
from leadblock.storage.db import Database

EXPORT_COLUMNS = ("publicIdentifier", "reason", "createdAt", "id")
MAX_IMPORT_ROWS = 1_000_000
MAX_REPORTED_ERRORS = 1000
# Progress is reported this often while validating: often enough for a bar to move on a
# small file, rarely enough to cost nothing.
PROGRESS_EVERY_ROWS = 1000
_EXPORT_CHUNK = 20_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

# (phase, done, total): "validating" in bytes of the upload, then "blocking" in leads.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    rows: int
    blocked: int
    already_blocked: int
    duplicates: int


def export_csv(database: Database, caller: Caller) -> Iterator[str]:
    """The workspace blocklist as CSV text, oldest first, yielded a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    after: tuple[int, str] = (-1, "")
    while True:
        with database.transaction() as tx:
            rows = store.export_page(tx, caller.workspace, after, _EXPORT_CHUNK)
        writer.writerows(
            (_neutralise(identifier), _neutralise(reason or ""), iso(created_at), id_)
            for identifier, reason, created_at, id_ in rows
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < _EXPORT_CHUNK:
            return
        after = (rows[-1][2], rows[-1][3])


def import_csv(
    database: Database, caller: Caller, source: IO[bytes], progress: Progress | None = None
) -> ImportOutcome:
    """Block every row of a CSV file (header row, `publicIdentifier` and optional `reason`)."""
    require_writer(caller)
    report = progress or _no_progress
    with tempfile.TemporaryFile() as spool:
        rows, distinct, duplicates = _parse_into(source, spool, report)
        spool.seek(0)
        blocked = 0
        with database.transaction(write=True) as tx:
            for done in range(0, distinct, MAX_LEADS_PER_REQUEST):
                report("blocking", done, distinct)
                batch: list[LeadInput] = pickle.load(spool)  # noqa: S301 - our own temp file
                blocked += insert_leads(tx, caller, batch).blocked
        report("blocking", distinct, distinct)
    return ImportOutcome(
        rows=rows, blocked=blocked, already_blocked=distinct - blocked, duplicates=duplicates
    )


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    pass


def _parse_into(source: IO[bytes], spool: IO[bytes], report: Progress) -> tuple[int, int, int]:
    """Validate every row; pickle canonical leads to `spool` in batches.

    Returns (data rows, distinct leads, duplicates). Raises `InvalidInput` listing bad rows.
    """
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    seen: set[str] = set()
    batch: list[LeadInput] = []
    errors: list[ItemError] = []
    error_count = rows = 0
    try:
        identifier_column, reason_column = _columns(next(reader, None))
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
            try:
                lead = LeadInput(canonicalise_identifier(value), normalise_reason(reason))
            except (InvalidIdentifier, InvalidReason) as error:
                error_count += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    prefix = "publicIdentifier " if isinstance(error, InvalidIdentifier) else ""
                    message = f"line {reader.line_num}: {prefix}{error}"
                    errors.append(ItemError(rows, value, message))
                rows += 1
                continue
            rows += 1
            if rows % PROGRESS_EVERY_ROWS == 0:
                report("validating", source.tell(), size)
            if lead.public_identifier in seen:
                continue
            seen.add(lead.public_identifier)
            batch.append(lead)
            if len(batch) == MAX_LEADS_PER_REQUEST:
                pickle.dump(batch, spool)
                batch = []
    except UnicodeDecodeError:
        raise InvalidInput(
            f"The CSV file is not valid UTF-8 (near line {reader.line_num + 1})."
        ) from None
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
    if batch:
        pickle.dump(batch, spool)
    report("validating", size, size)
    return rows, len(seen), rows - len(seen)


def _columns(header: list[str] | None) -> tuple[int, int | None]:
    if header is None:
        raise InvalidInput("The CSV file is empty; expected a header row with publicIdentifier.")
    names = [name.strip().lower() for name in header]
    if "publicidentifier" not in names:
        raise InvalidInput(
            "The CSV header has no publicIdentifier column "
            "(a header row is required and columns are separated by commas)."
        )
    reason = names.index("reason") if "reason" in names else None
    return names.index("publicidentifier"), reason


def _neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in _FORMULA_STARTS else cell
