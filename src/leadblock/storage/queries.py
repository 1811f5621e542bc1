"""Named SQL queries, kept as source in `sql/*.sql` (listmonk style).

Each file holds blocks introduced by `-- name: some-query`. `sql/<dialect>/*.sql` override the
common files where SQLite and PostgreSQL differ. Queries are loaded once at start, and
`Database.check_queries` prepares every one of them so that a typo fails the start, not a request.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import NamedTuple

_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z0-9-]+)\s*$", re.MULTILINE)
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


class Query(NamedTuple):
    """A named query as its driver takes it, and the names of its parameters in order."""

    sql: str
    parameters: tuple[str, ...]


def for_driver(source: str, dialect: str) -> Query:
    """`:name` parameters as the driver spells them: sqlite3 takes them as they are, psycopg
    wants `%(name)s` (and a literal `%` doubled)."""
    parameters = tuple(dict.fromkeys(_PARAMETER.findall(source)))
    if dialect == "sqlite":
        return Query(source, parameters)
    return Query(_PARAMETER.sub(r"%(\1)s", source.replace("%", "%%")), parameters)


def parse_named_queries(source: str) -> dict[str, str]:
    parts = _NAME_LINE.split(source)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def load_queries(dialect: str) -> dict[str, Query]:
    root = resources.files("leadblock.storage") / "sql"
    sources: dict[str, str] = {}
    for folder in (root, root / dialect):
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if entry.name.endswith(".sql"):
                sources.update(parse_named_queries(entry.read_text(encoding="utf-8")))
    return {name: for_driver(sql, dialect) for name, sql in sources.items()}
