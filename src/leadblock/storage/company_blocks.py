"""Table gateway of `company_blocks`: companies blocked for a whole workspace, by LinkedIn
company or internet domain, one row per (kind, canonical value)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadblock.domain.records import CompanyBlock, CompanyKind
from leadblock.storage.db import Transaction
from leadblock.storage.queries import query

INSERT_COMPANY_BLOCKS = query("insert-company-blocks")
SELECT_COMPANY_BLOCKS_BY_VALUES = query("select-company-blocks-by-values")
SELECT_COMPANY_BLOCK = query("select-company-block")
COUNT_COMPANY_BLOCKS = query("count-company-blocks")
LIST_COMPANY_BLOCKS = query("list-company-blocks")
LIST_COMPANY_BLOCKS_AFTER = query("list-company-blocks-after")
UPDATE_COMPANY_BLOCK = query("update-company-block")
EXPORT_COMPANY_BLOCKS = query("export-company-blocks")
DELETE_COMPANY_BLOCKS_BY_IDS = query("delete-company-blocks-by-ids")
DELETE_COMPANY_BLOCKS_BY_KEYS = query("delete-company-blocks-by-keys")
EXTEND_COMPANY_BLOCKS = query("extend-company-blocks")
EXPIRE_COMPANY_BLOCKS = query("expire-company-blocks")
COUNT_LEADS_STOPPED_BY_COMPANY = query("count-leads-stopped-by-company")

Key = tuple[CompanyKind, str]


def insert_missing(
    tx: Transaction, workspace: int, blocks: Sequence[CompanyBlock], created_at: int
) -> set[str]:
    """Insert the blocks whose (kind, value) is not blocked yet; return the ids inserted."""
    rows = [
        (b.id, b.kind.value, b.value, b.name, b.reason, search_text(b), b.expires_at)
        for b in sorted(blocks, key=lambda b: (b.kind, b.value))
    ]
    inserted = tx.tuples(
        INSERT_COMPANY_BLOCKS, workspace=workspace, rows=tx.table(rows), created_at=created_at
    )
    tx.grew("company_blocks", len(inserted))
    return {id_ for (id_,) in inserted}


def find_by_values(
    tx: Transaction, workspace: int, kind: CompanyKind, values: Iterable[str]
) -> dict[str, CompanyBlock]:
    """The blocks of `kind` with these values, expired or not (the caller judges them at its
    instant), by value."""
    # In key order, as the index is: each of its pages is read once.
    ordered = sorted(values)
    if not ordered:
        return {}
    rows = tx.rows(
        SELECT_COMPANY_BLOCKS_BY_VALUES,
        workspace=workspace,
        kind=kind.value,
        values=tx.table(ordered),
    )
    return {row.value: _record(row) for row in rows}


def find_by_keys(tx: Transaction, workspace: int, keys: Iterable[Key]) -> dict[Key, CompanyBlock]:
    """The blocks of (kind, value) `keys`, expired or not."""
    values: dict[CompanyKind, set[str]] = {kind: set() for kind in CompanyKind}
    for kind, value in keys:
        values[kind].add(value)
    return {
        (kind, value): block
        for kind, of_kind in values.items()
        for value, block in find_by_values(tx, workspace, kind, of_kind).items()
    }


def find(tx: Transaction, workspace: int, id_: str) -> CompanyBlock | None:
    row = tx.one(SELECT_COMPANY_BLOCK, workspace=workspace, id=id_)
    return _record(row) if row else None


def count(tx: Transaction, workspace: int, pattern: str | None) -> int:
    return int(tx.scalar(COUNT_COMPANY_BLOCKS, workspace=workspace, pattern=pattern))


def page(
    tx: Transaction,
    workspace: int,
    *,
    pattern: str | None,
    limit: int,
    offset: int,
    after: tuple[int, str] | None,
) -> list[CompanyBlock]:
    """Newest first, from `offset` or after the (created_at, id) position `after`."""
    params: dict[str, Any] = {"workspace": workspace, "pattern": pattern, "limit": limit}
    if after is None:
        rows = tx.rows(LIST_COMPANY_BLOCKS, offset=offset, **params)
    else:
        rows = tx.rows(LIST_COMPANY_BLOCKS_AFTER, after_id=after[1], **params)
    return [_record(row) for row in rows]


def export_page(tx: Transaction, workspace: int, after_id: str, limit: int) -> list[CompanyBlock]:
    """Oldest first, after the id `after_id` (start from "")."""
    rows = tx.rows(EXPORT_COMPANY_BLOCKS, workspace=workspace, after_id=after_id, limit=limit)
    return [_record(row) for row in rows]


def update(tx: Transaction, workspace: int, block: CompanyBlock) -> None:
    """Store `block`'s name, reason and expiry."""
    tx.execute(
        UPDATE_COMPANY_BLOCK,
        workspace=workspace,
        id=block.id,
        name=block.name,
        reason=block.reason,
        search_text=search_text(block),
        expires_at=block.expires_at,
    )


def extend(
    tx: Transaction, workspace: int, expiries: Sequence[tuple[str, int | None]]
) -> dict[str, int | None]:
    """As `blocked_leads.extend`: the later expiry wins; return the new expiry of each moved."""
    if not expiries:
        return {}
    return dict(tx.tuples(EXTEND_COMPANY_BLOCKS, workspace=workspace, rows=tx.table(expiries)))


def delete_by_ids(tx: Transaction, workspace: int, ids: Sequence[str]) -> list[CompanyBlock]:
    if not ids:
        return []
    rows = tx.rows(DELETE_COMPANY_BLOCKS_BY_IDS, workspace=workspace, ids=tx.table(ids))
    return [_record(row) for row in rows]


def delete_by_keys(tx: Transaction, workspace: int, keys: Sequence[Key]) -> list[CompanyBlock]:
    if not keys:
        return []
    rows = tx.rows(
        DELETE_COMPANY_BLOCKS_BY_KEYS,
        workspace=workspace,
        keys=tx.table([(kind.value, value) for kind, value in keys]),
    )
    return [_record(row) for row in rows]


def expire(tx: Transaction, workspace: int, now: int, limit: int) -> list[CompanyBlock]:
    """Delete up to `limit` blocks whose expiry is at or before `now`; return them."""
    rows = tx.rows(EXPIRE_COMPANY_BLOCKS, workspace=workspace, now=now, limit=limit)
    return [_record(row) for row in rows]


def leads_stopped(tx: Transaction, workspace: int, keys: Sequence[Key]) -> dict[Key, int]:
    """For each key, how many enrolled leads not dispatched yet carry it."""
    if not keys:
        return {}
    rows = tx.tuples(
        COUNT_LEADS_STOPPED_BY_COMPANY,
        workspace=workspace,
        keys=tx.table([(kind.value, value) for kind, value in keys]),
    )
    return {(CompanyKind(kind), value): int(leads) for kind, value, leads in rows}


def search_text(block: CompanyBlock) -> str:
    """What `search` looks in: the value, name and reason, in lower case."""
    return "\n".join(part.lower() for part in (block.value, block.name, block.reason) if part)


def _record(row: Any) -> CompanyBlock:
    return CompanyBlock(
        row.id,
        CompanyKind(row.kind),
        row.value,
        row.name,
        row.reason,
        row.created_at,
        row.expires_at,
    )
