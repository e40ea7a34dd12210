"""zdt.analysis.trace measures real behaviour: known-certain lock facts, proven on the server under test.

Also runs the whole claims corpus (in parallel, each case in its own database) to prove every case
executes as marked on this server version.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.analysis.claims_corpus import BASE_SETUP, ClaimCase, cases_for, run_setup, trace_case_in
from zdt.analysis.locks import LockMode
from zdt.analysis.schema_copy import SchemaCopyError, copy_schema
from zdt.analysis.trace import TraceResult, trace_script, trace_statement
from zdt.db.scratch import scratch_database
from zdt.db.urls import with_database

USERS = "public.users"
POSTS = "public.posts"


@pytest.fixture
def base_url(database_url: str) -> str:
    """A fresh database holding the corpus's base schema with rows."""
    run_setup(database_url, BASE_SETUP)
    return database_url


def _mode(result: TraceResult, relation: str) -> LockMode | None:
    return next((lock.mode for lock in result.locks if lock.relation == relation), None)


def test_create_index_takes_share_lock_and_blocks_writes_not_reads(base_url: str) -> None:
    result = trace_statement(base_url, "CREATE INDEX users_name_idx ON users (name)")
    assert result.ok and result.transactional
    assert _mode(result, USERS) is LockMode.SHARE
    assert result.blocked_writes == [USERS]
    assert result.blocked_reads == []
    assert result.scanned == [USERS] and result.rewritten == []
    assert all(lock.relation != "public.users_name_idx" for lock in result.locks), "created by the statement"


def test_create_index_concurrently_blocks_neither(base_url: str) -> None:
    result = trace_statement(base_url, "CREATE INDEX CONCURRENTLY users_name_idx ON users (name)")
    assert result.ok and not result.transactional
    assert _mode(result, USERS) is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert result.blocked_reads == [] and result.blocked_writes == []
    assert result.scanned == [USERS], "the build and the validation scan count as sequential scans"
    with psycopg.connect(base_url) as conn:
        valid = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_name_idx'::regclass")
        assert valid.fetchone() == (True,)


def test_drop_index_concurrently_ends_with_access_exclusive_on_the_index(base_url: str) -> None:
    result = trace_statement(base_url, "DROP INDEX CONCURRENTLY posts_author_id_idx")
    assert result.ok and not result.transactional
    assert _mode(result, POSTS) is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert _mode(result, "public.posts_author_id_idx") is LockMode.ACCESS_EXCLUSIVE
    assert result.blocked_reads == [] and result.blocked_writes == []


def test_add_column_takes_access_exclusive_and_blocks_reads(base_url: str) -> None:
    result = trace_statement(base_url, "ALTER TABLE users ADD COLUMN x int")
    assert _mode(result, USERS) is LockMode.ACCESS_EXCLUSIVE
    assert result.blocked_reads == [USERS] and result.blocked_writes == [USERS]
    assert result.rewritten == [] and result.scanned == []


def test_int_to_bigint_rewrites_but_widening_varchar_does_not(base_url: str) -> None:
    to_bigint, widen = trace_script(
        base_url,
        [
            "ALTER TABLE users ALTER COLUMN age TYPE bigint",
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(100)",
        ],
    )
    assert to_bigint.rewritten == [USERS] and USERS in to_bigint.scanned
    assert widen.ok and widen.rewritten == [] and widen.scanned == []


def test_update_without_where_blocks_writes_through_row_locks_not_reads(base_url: str) -> None:
    table_wide, one_row = trace_script(
        base_url, ["UPDATE users SET status = 'x'", "UPDATE users SET status = 'y' WHERE id = 7"]
    )
    assert _mode(table_wide, USERS) is LockMode.ROW_EXCLUSIVE
    assert table_wide.blocked_writes == [USERS], "RowExclusiveLock blocks no write: the row locks do"
    assert table_wide.blocked_reads == []
    assert table_wide.scanned == [USERS]
    assert one_row.blocked_writes == [] and one_row.scanned == []


def test_failing_statement_reports_sqlstate_and_the_session_goes_on(base_url: str) -> None:
    failed, after = trace_script(
        base_url, ["ALTER TABLE users ADD COLUMN email text", "ALTER TABLE users ADD COLUMN phone text"]
    )
    assert not failed.ok
    assert failed.error is not None and failed.error.startswith("42701:")  # duplicate_column
    assert failed.locks == []
    assert after.ok and _mode(after, USERS) is LockMode.ACCESS_EXCLUSIVE


def test_statements_are_committed(base_url: str) -> None:
    trace_statement(base_url, "ALTER TABLE users ADD COLUMN phone text")
    with psycopg.connect(base_url) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'phone'"
        )
        assert found.fetchone() == (1,)


def test_set_in_a_script_applies_to_the_following_statements(base_url: str) -> None:
    """timestamp -> timestamptz skips the rewrite only when the session's TimeZone is UTC."""
    results = trace_script(
        base_url,
        [
            "BEGIN",
            "SET LOCAL TimeZone = 'UTC'",
            "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz",
            "COMMIT",
            "SET TimeZone = 'America/New_York'",
            "ALTER TABLE posts ALTER COLUMN created_at TYPE timestamptz",
        ],
    )
    assert [r.sql for r in results] == [
        "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz",
        "ALTER TABLE posts ALTER COLUMN created_at TYPE timestamptz",
    ]
    utc, new_york = results
    assert utc.ok and utc.rewritten == []
    assert new_york.ok and new_york.rewritten == [POSTS]


def test_dropped_relations_are_named_and_truncation_is_not_a_rewrite(base_url: str) -> None:
    dropped, truncated = trace_script(base_url, ["DROP TABLE user_settings", "TRUNCATE comments"])
    assert _mode(dropped, "public.user_settings") is LockMode.ACCESS_EXCLUSIVE
    assert _mode(dropped, USERS) is LockMode.ACCESS_EXCLUSIVE, "dropping the FK locks the referenced table"
    assert truncated.truncated == ["public.comments"]
    assert truncated.rewritten == [] and truncated.scanned == []


def test_statement_refused_in_a_transaction_is_retried_outside_one(base_url: str) -> None:
    result = trace_statement(base_url, "DROP DATABASE IF EXISTS zdt_trace_never_existed")
    assert result.ok and not result.transactional


def test_copy_schema_copies_structure_without_rows(base_url: str, admin_url: str) -> None:
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute("CREATE VIEW active_users AS SELECT id FROM users WHERE status = 'active'")
    with scratch_database(admin_url, prefix="zdt_copy") as target:
        copy_schema(base_url, target)
        with psycopg.connect(target) as conn:
            names = conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN "
                "('r', 'v') ORDER BY 1"
            ).fetchall()
            rows = conn.execute("SELECT count(*) FROM users").fetchone()
            fks = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'").fetchone()
    assert [name for (name,) in names] == [
        "active_users",
        "audit_log",
        "comments",
        "posts",
        "user_settings",
        "users",
    ]
    assert rows == (0,)
    assert fks == (3,)


def test_copy_schema_error_names_the_source_without_its_password(admin_url: str) -> None:
    missing = with_database(admin_url, "zdt_no_such_database")
    with_password = psycopg.conninfo.make_conninfo(missing, password="s3cret-pw")
    with scratch_database(admin_url, prefix="zdt_copy") as target, pytest.raises(SchemaCopyError) as raised:
        copy_schema(with_password, target)
    assert "zdt_no_such_database" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def _run_cases(admin_url: str, cases: list[ClaimCase]) -> dict[str, tuple[str | None, list[str]]]:
    """SQLSTATE (or None) and notes of each case, all run in one scratch database reset between cases."""
    outcomes: dict[str, tuple[str | None, list[str]]] = {}
    with scratch_database(admin_url, prefix="zdt_corpus") as url:
        for claim in cases:
            result = trace_case_in(url, claim, probe_timeout_ms=20)
            outcomes[claim.id] = ((result.error or "")[:5] or None, result.notes)
    return outcomes


def test_every_corpus_case_runs_as_marked(admin_url: str, server_version: int) -> None:
    cases = cases_for(server_version)
    assert len(cases) >= 60
    workers = 4
    with ThreadPoolExecutor(max_workers=workers) as pool:
        chunks = pool.map(lambda index: _run_cases(admin_url, cases[index::workers]), range(workers))
        measured = {case_id: outcome for chunk in chunks for case_id, outcome in chunk.items()}
    assert measured == {claim.id: (claim.expect_error, []) for claim in cases}
