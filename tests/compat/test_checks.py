"""Old application queries against the old and the new schema, on real servers.

A rename must be caught (42703, naming the query), an added nullable column must not be, nothing may be
left behind in either database, DDL in the query file must be refused and never run, and a table held by
a migration must make the check come back quickly as "could not check" rather than hang.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from zdt.compat import (
    AppQuery,
    assess_compatibility,
    check_compatibility,
    check_queries,
    load_queries,
    parse_queries,
)
from zdt.db.scratch import scratch_database
from zdt.schema.snapshot import introspect

SCHEMA = """
CREATE TABLE public.users (id bigserial PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE public.posts (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES public.users,
                           body text NOT NULL DEFAULT '');
INSERT INTO public.users (name, email) SELECT 'user ' || g, g || '@example.org' FROM generate_series(1, 50) g;
INSERT INTO public.posts (author_id, body) SELECT 1 + g % 50, 'post ' || g FROM generate_series(1, 100) g;
"""

CORPUS = """\
-- name: get_user
SELECT id, name, email FROM users WHERE id = $1;

-- name: feed
SELECT p.id, p.body, u.name AS author
FROM posts p JOIN users u ON u.id = p.author_id
ORDER BY p.id DESC LIMIT 20;

-- name: create_user
INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id;

-- name: rename_user
UPDATE users SET name = $2 WHERE id = $1;

-- name: delete_post
DELETE FROM posts WHERE id = $1;

-- name: count_posts
SELECT count(*) FROM posts WHERE author_id = $1;
"""


@pytest.fixture
def corpus(tmp_path: Path) -> list[AppQuery]:
    path = tmp_path / "app.sql"
    path.write_text(CORPUS)
    return load_queries(path)


@pytest.fixture
def old_and_new(admin_url: str, database_url: str) -> Iterator[tuple[str, str]]:
    """Two databases with the same starting schema: the test changes the second one."""
    with scratch_database(admin_url, prefix="zdt_test") as new_url:
        for url in (database_url, new_url):
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(SCHEMA)
        yield database_url, new_url


def _alter(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _state(url: str) -> tuple[str, list[tuple[object, ...]], int]:
    """Schema fingerprint, every row, and the sequence position: what a check must never change."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT 'u', to_jsonb(u)::text FROM users u UNION ALL SELECT 'p', to_jsonb(p)::text FROM posts p "
            "ORDER BY 1, 2"
        ).fetchall()
        sequence = conn.execute("SELECT last_value FROM users_id_seq").fetchone()
        return introspect(conn).fingerprint(), rows, int(sequence[0]) if sequence else 0


def test_a_renamed_column_makes_old_queries_incompatible(
    old_and_new: tuple[str, str], corpus: list[AppQuery]
) -> None:
    old_url, new_url = old_and_new
    _alter(new_url, "ALTER TABLE users RENAME COLUMN name TO full_name")
    result = check_compatibility(old_url, new_url, corpus)
    assert result.verdict == "incompatible"
    failing = {check.query: check for check in result.checks if not check.new_schema_ok}
    assert set(failing) == {corpus[i].sql for i in (0, 1, 2, 3)}  # every query that touches users.name
    for check in failing.values():
        assert check.old_schema_ok is True
        assert check.error is not None and check.error.startswith("42703: column")
        assert "name" in check.error
    assert all(c.new_schema_ok and c.old_schema_ok for c in result.checks if c.query not in failing)
    assert result.summary.startswith("incompatible: 4 of 6 queries break on the new schema")
    assert "get_user (" in result.summary and "app.sql:2): 42703" in result.summary
    assert "2 pass" in result.summary


def test_the_error_points_at_the_line_and_column_in_the_query_file(
    old_and_new: tuple[str, str], corpus: list[AppQuery]
) -> None:
    old_url, new_url = old_and_new
    _alter(new_url, "ALTER TABLE users RENAME COLUMN name TO full_name")
    assessment = assess_compatibility(old_url, new_url, corpus)
    feed = assessment.comparisons[1]
    assert feed.breaks and feed.new.sqlstate == "42703"
    assert (feed.new.error_line, feed.new.error_column) == (5, 22)  # "u.name" in the feed's first line
    assert CORPUS.splitlines()[4][21:27] == "u.name"


def test_an_added_nullable_column_keeps_everything_compatible(
    old_and_new: tuple[str, str], corpus: list[AppQuery]
) -> None:
    old_url, new_url = old_and_new
    _alter(new_url, "ALTER TABLE users ADD COLUMN reputation integer")
    assessment = assess_compatibility(old_url, new_url, corpus)
    assert assessment.result.verdict == "compatible"
    assert all(c.new_schema_ok and c.old_schema_ok and c.error is None for c in assessment.result.checks)
    assert assessment.result.summary == "compatible: all 6 queries prepare on the new schema."
    assert all(not c.result_changes for c in assessment.comparisons)
    assert [(col.name, col.type) for col in assessment.comparisons[0].new.columns] == [
        ("id", "bigint"),
        ("name", "text"),
        ("email", "text"),
    ]
    assert assessment.comparisons[2].new.parameters == ["text", "text"]


def test_select_star_still_prepares_but_its_result_change_is_reported(old_and_new: tuple[str, str]) -> None:
    old_url, new_url = old_and_new
    _alter(new_url, "ALTER TABLE users ADD COLUMN reputation integer")
    queries = parse_queries("-- name: all_users\nSELECT * FROM users;\n", source="app.sql")
    assessment = assess_compatibility(old_url, new_url, queries)
    assert assessment.result.verdict == "compatible"
    assert assessment.comparisons[0].result_changes == ["new result column reputation integer"]
    assert "cached plan" not in assessment.result.summary
    assert "server-side prepared statements must be re-prepared" in assessment.result.summary


def test_the_result_change_warning_is_real_a_held_prepared_statement_breaks(database_url: str) -> None:
    """What the warning claims: a client holding SELECT * prepared fails after the column is added."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("PREPARE app_all_users AS SELECT * FROM users")
        conn.execute("EXECUTE app_all_users").fetchall()
        _alter(database_url, "ALTER TABLE users ADD COLUMN reputation integer")
        with pytest.raises(
            psycopg.errors.FeatureNotSupported, match="cached plan must not change result type"
        ):
            conn.execute("EXECUTE app_all_users")


def test_a_type_change_reports_changed_columns_and_parameters(old_and_new: tuple[str, str]) -> None:
    old_url, new_url = old_and_new
    _alter(new_url, "ALTER TABLE posts ALTER COLUMN author_id TYPE integer")
    queries = parse_queries("SELECT author_id FROM posts WHERE author_id = $1;")
    [comparison] = assess_compatibility(old_url, new_url, queries).comparisons
    assert comparison.result_changes == [
        "result column author_id changes type bigint -> integer",
        "parameter $1 changes type bigint -> integer",
    ]


def test_nothing_is_left_changed_in_either_database(
    old_and_new: tuple[str, str], corpus: list[AppQuery], admin_url: str
) -> None:
    old_url, new_url = old_and_new
    _alter(new_url, "ALTER TABLE users RENAME COLUMN name TO full_name")
    before = [_state(old_url), _state(new_url)]
    result = check_compatibility(old_url, new_url, corpus)
    assert result.verdict == "incompatible"
    assert [_state(old_url), _state(new_url)] == before  # no INSERT/UPDATE/DELETE ran, no nextval either
    with psycopg.connect(admin_url, autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'zdt-compat'"
        ).fetchone()
    assert left == (0,)


def test_prepared_statements_are_deallocated_and_transactions_rolled_back(database_url: str) -> None:
    """Checked on one connection, as check_queries uses it: PREPARE outlives ROLLBACK unless dropped."""
    from zdt.compat.prepare import Timeouts, checker_connection, prepare_query

    _alter(database_url, SCHEMA)
    [query] = parse_queries("INSERT INTO users (name) VALUES ($1)")
    with checker_connection(database_url) as conn:
        outcome = prepare_query(conn, query, Timeouts())
        assert outcome.ok
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (0,)
        conn.rollback()
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_ddl_in_the_queries_file_is_refused_and_never_runs(old_and_new: tuple[str, str]) -> None:
    old_url, new_url = old_and_new
    queries = parse_queries(
        "SELECT id FROM users;\n"
        "ALTER TABLE users ADD COLUMN hacked integer;\n"
        "DROP TABLE posts;\n"
        "SELECT pg_terminate_backend(pg_backend_pid());\n",
        source="app.sql",
    )
    result = check_compatibility(old_url, new_url, queries)
    assert result.verdict == "unknown"
    ok, alter, drop, kill = result.checks
    assert ok.new_schema_ok and ok.old_schema_ok
    for refused in (alter, drop, kill):
        assert refused.new_schema_ok is False and refused.old_schema_ok is None
    assert alter.error is not None and alter.error.startswith(
        "refused: AlterTableStmt is not an application query"
    )
    assert drop.error is not None and drop.error.startswith("refused: DropStmt")
    assert kill.error == "refused by the SQL policy: calls pg_terminate_backend: it kills other sessions"
    assert "3 not checked: app.sql:2: refused: AlterTableStmt" in result.summary
    for url in (old_url, new_url):
        with psycopg.connect(url) as conn:
            snapshot = introspect(conn)
        assert "hacked" not in snapshot.tables["public.users"].columns
        assert "public.posts" in snapshot.tables


def test_a_query_failing_on_the_old_schema_too_is_not_blamed_on_the_migration(
    old_and_new: tuple[str, str],
) -> None:
    old_url, new_url = old_and_new
    queries = parse_queries("SELECT id FROM users;\nSELECT nickname FROM users;\n", source="app.sql")
    result = check_compatibility(old_url, new_url, queries)
    assert result.verdict == "unknown"
    assert result.checks[1].old_schema_ok is False and result.checks[1].new_schema_ok is False
    assert "1 fail on the old schema too (not caused by the migration): app.sql:2" in result.summary


def test_a_table_locked_by_a_migration_is_reported_unchecked_quickly(old_and_new: tuple[str, str]) -> None:
    old_url, new_url = old_and_new
    holder = psycopg.connect(new_url)
    try:
        holder.execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
        queries = parse_queries("SELECT id FROM users;\nSELECT id FROM posts;\n", source="app.sql")
        started = time.monotonic()
        result = check_compatibility(old_url, new_url, queries)
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert elapsed < 3.0
    assert result.verdict == "unknown"
    assert result.checks[0].new_schema_ok
    assert result.checks[1].error is not None and result.checks[1].error.startswith("55P03")
    assert "1 could not be checked (lock or statement timeout): app.sql:2" in result.summary


def test_check_queries_against_one_database(database_url: str) -> None:
    _alter(database_url, SCHEMA)
    checks = check_queries(database_url, ["SELECT name FROM users", "SELECT nope FROM users"])
    assert [(c.new_schema_ok, c.old_schema_ok) for c in checks] == [(True, None), (False, None)]
    assert checks[1].error == '42703: column "nope" does not exist (line 1, column 8)'


def test_checks_run_concurrently_with_traffic_without_blocking_it(old_and_new: tuple[str, str]) -> None:
    """The checker only takes ACCESS SHARE for a moment: writers on the same tables never wait on it."""
    old_url, new_url = old_and_new
    stop = threading.Event()
    worst = [0.0]

    def writer() -> None:
        with psycopg.connect(new_url, autocommit=True) as conn:
            while not stop.is_set():
                started = time.monotonic()
                conn.execute("UPDATE users SET email = email WHERE id = 1")
                worst[0] = max(worst[0], time.monotonic() - started)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        queries = parse_queries(CORPUS)
        for _ in range(3):
            assert check_compatibility(old_url, new_url, queries).verdict == "compatible"
    finally:
        stop.set()
        thread.join(5)
    assert worst[0] < 0.5
