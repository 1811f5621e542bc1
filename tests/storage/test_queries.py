"""Named queries: every one prepares against the migrated schema, and a bad one fails the
check (which `serve` runs before accepting requests)."""

from __future__ import annotations

import pytest

from leadblock.config import Settings
from leadblock.storage.db import Database
from leadblock.storage.migrate import migrate
from leadblock.storage.queries import (
    DECLARED,
    DIALECTS,
    UnknownQuery,
    load_queries,
    parse_named_queries,
    query,
)
from tests.postgres import PostgresCluster


def test_every_named_query_prepares(database: Database) -> None:
    database.check_queries()
    # Every query defined is one a gateway runs: no dead SQL, no name only a typo uses.
    assert set(database.queries) == DECLARED


@pytest.mark.parametrize(
    "sql",
    [
        "SELEC 1",
        "SELECT no_such_column FROM blocked_leads",
    ],
)
def test_a_bad_query_fails_the_check(database_url: str, sql: str) -> None:
    assert_check_fails(database_url, sql)


def test_an_untyped_parameter_fails_the_check_on_postgresql(postgres: PostgresCluster) -> None:
    # Only ever compared with NULL: PostgreSQL cannot infer its type and would refuse the
    # query on the first request sending NULL. (SQLite types parameters at run time.)
    url = postgres.create_database("leadblock_check")
    database = Database(Settings(database_url=url))
    migrate(database)
    database.dispose()
    assert_check_fails(
        url, "SELECT count(*) FROM blocked_leads WHERE (:p IS NULL OR :p IS NOT NULL)"
    )


def assert_check_fails(database_url: str, sql: str) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        database.add_query("broken", sql)
        with pytest.raises(RuntimeError, match="broken"):
            database.check_queries()
    finally:
        database.dispose()


def test_named_query_files_parse() -> None:
    source = (
        "-- the file's preamble\n\n"
        "-- name: first-query\nSELECT 1\n\n"
        "-- what the second query is for,\n-- over two lines\n"
        "-- name: second\nSELECT 2;\n"
    )
    assert parse_named_queries(source) == {
        "first-query": "SELECT 1",
        "second": "-- what the second query is for,\n-- over two lines\nSELECT 2;",
    }


def test_a_query_defined_twice_in_a_file_is_refused() -> None:
    with pytest.raises(UnknownQuery, match="'twice' is defined twice"):
        parse_named_queries("-- name: twice\nSELECT 1\n-- name: twice\nSELECT 2\n")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_both_dialects_define_the_same_queries_and_every_declared_one(dialect: str) -> None:
    loaded = set(load_queries(dialect))
    assert loaded == set(load_queries(DIALECTS[1 - DIALECTS.index(dialect)]))
    # Every one declared, and no other: a query no gateway runs is dead SQL.
    assert loaded == DECLARED


def test_a_declared_query_that_no_file_defines_fails_the_load() -> None:
    query("no-such-query")
    try:
        with pytest.raises(UnknownQuery, match="no-such-query"):
            load_queries("sqlite")
    finally:
        DECLARED.discard("no-such-query")
