"""CSV import reports its progress: bytes validated, then leads blocked."""

from __future__ import annotations

import io

from leadblock.domain.records import Caller
from leadblock.services import transfer, workspaces
from leadblock.storage.db import Database


def test_import_reports_both_phases(database: Database) -> None:
    with database.transaction(write=True) as tx:
        workspace, _key, _plain = workspaces.create_workspace(tx, "progress")
    content = b"publicIdentifier\n" + b"".join(b"progress-lead-%d\n" % i for i in range(25_000))
    seen: list[tuple[str, int, int]] = []
    outcome = transfer.import_csv(
        database,
        Caller(workspace.id, workspace.number, None),
        io.BytesIO(content),
        lambda phase, done, total: seen.append((phase, done, total)),
    )
    assert outcome == transfer.ImportOutcome(
        rows=25_000, blocked=25_000, already_blocked=0, duplicates=0, extended=0
    )
    size = len(content)
    # Validating, in bytes of the upload: every 1,000 rows, then once all are read; then
    # blocking, in leads: once before the one write transaction, once after it.
    validating, blocking = seen[:26], seen[26:]
    assert blocking == [("blocking", 0, 25_000), ("blocking", 25_000, 25_000)]
    assert validating[-1] == ("validating", size, size)
    assert [(phase, total) for phase, _, total in validating] == [("validating", size)] * 26
    # How far the reader has got when the 1,000th, 2,000th… row is parsed: at least to the end
    # of that row, and less than one read ahead of it (Python's text layer decodes 8 KiB at a
    # time): the exact figure is that buffering's, not leadblock's.
    header = len(b"publicIdentifier\n")
    row_ends = [
        header + sum(len(b"progress-lead-%d\n" % i) for i in range(rows))
        for rows in range(1_000, 25_001, 1_000)
    ]
    every_thousand = [done for _, done, _ in validating[:25]]
    for done, row_end in zip(every_thousand, row_ends, strict=True):
        assert row_end <= done < row_end + 8192, (done, row_end)
    assert every_thousand == sorted(set(every_thousand))
    assert every_thousand[-1] == size  # the 25,000th row is the last
