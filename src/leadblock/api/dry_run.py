"""`?dryRun=true` on the writes that take it: the same validation and the same answer as the real
call, nothing written, no event (`RequestUnit.write(..., dry_run=True)` rolls the work back)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

DryRun = Annotated[
    bool,
    Query(
        alias="dryRun",
        description="Validate and answer exactly as the real call would, and write nothing: no "
        "record, no event (records that would be new have `id: null`). Read-only keys may ask.",
    ),
]


def dry_answer(answer: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    """The answer of a write, marked `dryRun: true` when it was one."""
    return {**answer, "dryRun": True} if dry_run else answer
