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
        Caller(workspace.id, None),
        io.BytesIO(content),
        lambda phase, done, total: seen.append((phase, done, total)),
    )
    assert outcome.blocked == 25_000
    validating = [event for event in seen if event[0] == "validating"]
    blocking = [event for event in seen if event[0] == "blocking"]
    assert seen.index(validating[-1]) < seen.index(blocking[0])
    assert validating[-1] == ("validating", len(content), len(content))
    assert all(0 < done <= len(content) for _, done, _ in validating)
    assert [done for _, done, _ in blocking] == [0, 10_000, 20_000, 25_000]
    assert {total for _, _, total in blocking} == {25_000}
