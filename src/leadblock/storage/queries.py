"""Named SQL queries, kept as source in `sql/*.sql` (listmonk style).

Each file holds blocks introduced by `-- name: some-query`. `sql/<dialect>/*.sql` override the
common files where SQLite and PostgreSQL differ. Queries are loaded once at start, and
`Database.check_queries` prepares every one of them so that a typo fails the start, not a request.
"""

from __future__ import annotations

import re
from importlib import resources

from sqlalchemy import TextClause, text

_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z0-9-]+)\s*$", re.MULTILINE)


def parse_named_queries(source: str) -> dict[str, str]:
    parts = _NAME_LINE.split(source)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def load_queries(dialect: str) -> dict[str, TextClause]:
    root = resources.files("leadblock.storage") / "sql"
    sources: dict[str, str] = {}
    for folder in (root, root / dialect):
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if entry.name.endswith(".sql"):
                sources.update(parse_named_queries(entry.read_text(encoding="utf-8")))
    return {name: text(sql) for name, sql in sources.items()}
