"""Named SQL queries, kept as source in `sql/*.sql` (listmonk style).

Each file holds blocks introduced by `-- name: some-query`; the comment lines right above a
`-- name:` line belong to that query (they say what it is for). `sql/<dialect>/*.sql` override
the common files where SQLite and PostgreSQL differ.

Names are checked when the queries are loaded, so a typo fails the start, not a request: both
dialects must define the same names, and every name a gateway declares with `query()` must
exist. `Database.check_queries` then prepares every query against the schema.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import NamedTuple

DIALECTS = ("sqlite", "postgresql")
_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z0-9-]+)\s*$")
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
# The names gateways run, declared at import by `query()`.
DECLARED: set[str] = set()


class Query(NamedTuple):
    """A named query as its driver takes it, and the names of its parameters in order."""

    sql: str
    parameters: tuple[str, ...]


class UnknownQuery(RuntimeError):
    """A query name is declared by a gateway but defined in no SQL file, or the dialects
    disagree about which names exist."""


def query(name: str) -> str:
    """Declare a query a gateway runs (`INSERT_WORKSPACE = query("insert-workspace")`);
    `load_queries` refuses to load when it is not defined."""
    DECLARED.add(name)
    return name


def for_driver(source: str, dialect: str) -> Query:
    """`:name` parameters as the driver spells them: sqlite3 takes them as they are, psycopg
    wants `%(name)s` (and a literal `%` doubled)."""
    parameters = tuple(dict.fromkeys(_PARAMETER.findall(source)))
    if dialect == "sqlite":
        return Query(source, parameters)
    return Query(_PARAMETER.sub(r"%(\1)s", source.replace("%", "%%")), parameters)


def parse_named_queries(source: str) -> dict[str, str]:
    """{name: SQL} of one file. A query's text runs from the comment lines just above its
    `-- name:` line to the next query's comments; text before the first query is a preamble."""
    lines = source.splitlines()
    starts: list[tuple[int, str]] = []  # (first line of the query's block, name)
    for number, line in enumerate(lines):
        match = _NAME_LINE.match(line)
        if match:
            first = number
            while (
                first > 0
                and lines[first - 1].startswith("--")
                and not _NAME_LINE.match(lines[first - 1])
            ):
                first -= 1
            starts.append((first, match.group(1)))
    queries: dict[str, str] = {}
    for position, (first, name) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        block = [line for line in lines[first:end] if not _NAME_LINE.match(line)]
        if name in queries:
            raise UnknownQuery(f"query {name!r} is defined twice")
        queries[name] = "\n".join(block).strip()
    return queries


def load_queries(dialect: str) -> dict[str, Query]:
    """Every named query of `dialect`, after checking the names (see the module's docstring)."""
    sources = {name: _sources(name) for name in DIALECTS}
    only = {
        name: set(sources[name]) - set(sources[other]) for name, other in (DIALECTS, DIALECTS[::-1])
    }
    if any(only.values()):
        raise UnknownQuery(
            "the dialects define different queries: "
            + "; ".join(f"only {name}: {sorted(names)}" for name, names in only.items() if names)
        )
    _import_gateways()
    missing = DECLARED - set(sources[dialect])
    if missing:
        raise UnknownQuery(f"queries used but defined nowhere: {sorted(missing)}")
    return {name: for_driver(sql, dialect) for name, sql in sources[dialect].items()}


def _sources(dialect: str) -> dict[str, str]:
    root = resources.files("leadblock.storage") / "sql"
    sources: dict[str, str] = {}
    for folder in (root, root / dialect):
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if entry.name.endswith(".sql"):
                sources.update(parse_named_queries(entry.read_text(encoding="utf-8")))
    return sources


def _import_gateways() -> None:
    """Import every gateway module, so each one's `query()` declarations are known."""
    import importlib
    import pkgutil

    import leadblock.storage as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"leadblock.storage.{module.name}")
