"""pg_stat_statements on a real server: the application's normalised queries with their calls; zdt's
own, the catalogue reads, utility statements left out and counted; a clear refusal without the view.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from zdt.collect.stats import APPLICATION_NAME, StatsUnavailable, collect_stats, stats_connection
from zdt.db.scratch import scratch_database
from zdt.db.urls import redact


@pytest.fixture
def stats_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with pg_stat_statements readable, or a skip naming what is missing."""
    try:
        url: str = request.getfixturevalue("statements_database_url")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
    except Exception as error:  # no preloadable extension on the server, or no embedded server to start
        pytest.skip(
            "pg_stat_statements is not available (CREATE EXTENSION pg_stat_statements and reading the "
            f"view need it in shared_preload_libraries): {str(error).strip().splitlines()[0]}"
        )
    yield url


def test_the_applications_queries_with_their_calls(stats_url: str) -> None:
    with psycopg.connect(stats_url, autocommit=True, application_name="civic-api") as app:
        app.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)")
        for user_id in range(3):
            app.execute("INSERT INTO users (id, email) VALUES (%s, %s)", [user_id, f"u{user_id}@x"])
        for user_id in range(5):
            app.execute("SELECT email FROM users WHERE id = %s", [user_id])
        app.execute("SET statement_timeout = 1000")
        app.execute("SELECT relname FROM pg_catalog.pg_class WHERE relname = 'users'")
    with psycopg.connect(stats_url, autocommit=True, application_name="zdt-load") as zdt_session:
        zdt_session.execute("UPDATE users SET email = email WHERE id = %s", [1])  # its last query: still open

        scan = collect_stats(stats_url)

    found = {(query.sql, query.origin.calls) for query in scan.queries}
    assert found == {
        ("INSERT INTO users (id, email) VALUES ($1, $2)", 3),
        ("SELECT email FROM users WHERE id = $1", 5),
    }
    assert {(query.origin.kind, query.origin.place) for query in scan.queries} == {
        ("stats", redact(stats_url))
    }
    assert scan.utility >= 2  # CREATE TABLE, SET (and the fixture's CREATE EXTENSION)
    assert scan.zdt_own >= 2  # the catalogue read, zdt-load's UPDATE, the collector's own reads
    [note] = scan.notes()
    assert note.startswith(f"pg_stat_statements on {redact(stats_url)}: 2 queries; left out")


def test_without_the_extension_the_message_names_the_server_and_the_fix(database_url: str) -> None:
    with pytest.raises(StatsUnavailable) as raised:
        collect_stats(database_url)
    message = str(raised.value)
    assert f"pg_stat_statements is not installed in the database of {redact(database_url)}" in message
    assert "shared_preload_libraries" in message and "CREATE EXTENSION pg_stat_statements" in message


def test_the_connection_is_read_only(database_url: str) -> None:
    with stats_connection(database_url) as conn:
        assert conn.info.parameter_status("application_name") == APPLICATION_NAME
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE t (a int)")


def test_an_unreachable_server_is_named() -> None:
    with pytest.raises(StatsUnavailable, match=r"cannot connect to postgresql://nobody@127\.0\.0\.1:1/x"):
        collect_stats("postgresql://nobody@127.0.0.1:1/x?connect_timeout=2")


def test_an_extension_created_but_not_preloaded_is_explained(admin_url: str) -> None:
    with scratch_database(admin_url, prefix="zdt_nostats") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION pg_stat_statements")
            except psycopg.Error as error:
                pytest.skip(f"the server has no pg_stat_statements extension to create: {error}")
            try:
                conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
                pytest.skip("pg_stat_statements is preloaded on this server: nothing to explain")
            except psycopg.Error:
                pass
        with pytest.raises(StatsUnavailable) as raised:
            collect_stats(url)
    message = str(raised.value)
    assert f"pg_stat_statements cannot be read on {redact(url)}" in message
    assert "shared_preload_libraries" in message and "restart the server" in message
