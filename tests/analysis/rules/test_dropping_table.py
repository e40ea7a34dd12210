from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import SchemaSnapshot, introspect

RULE = "dropping-table"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.fixture
def snapshot(conn: psycopg.Connection) -> SchemaSnapshot:
    conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint REFERENCES users)")
    conn.execute("CREATE TABLE audit (id bigint)")
    return introspect(conn)


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("DROP TABLE audit;", "public.audit"),
        ("DROP TABLE IF EXISTS audit;", "public.audit"),
        ("DROP TABLE archive.audit;", "archive.audit"),
        ("DROP FOREIGN TABLE remote_audit;", "public.remote_audit"),
    ],
)
def test_drop_table_is_a_contract_phase_warning(sql: str, table: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.WARNING
    assert f"dropping table {table}" in finding.message and "backup" in finding.message
    assert "contract phase" in finding.fix and "no longer uses" in finding.fix


def test_referencing_tables_and_extra_locks_are_named(snapshot: SchemaSnapshot) -> None:
    [finding] = _findings("DROP TABLE users;", snapshot=snapshot)
    assert "public.posts reference it by foreign key" in finding.message
    assert "fails without CASCADE" in finding.message
    [finding] = _findings("DROP TABLE users CASCADE;", snapshot=snapshot)
    assert "CASCADE drops the foreign keys of public.posts" in finding.message
    assert "also locks public.posts (AccessExclusiveLock)" in finding.message
    # dropping the referencing table removes its FK triggers from the referenced one
    [finding] = _findings("DROP TABLE posts;", snapshot=snapshot)
    assert "also locks public.users (AccessExclusiveLock)" in finding.message
    [finding] = _findings("DROP TABLE audit;", snapshot=snapshot)
    assert "also locks" not in finding.message and "foreign key" not in finding.message


def test_each_existing_table_of_a_list_is_reported(snapshot: SchemaSnapshot) -> None:
    sql = "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch, posts, users;"
    found = _findings(sql, snapshot=snapshot)
    assert [f.message.split(":")[0] for f in found] == [
        "dropping table public.posts",
        "dropping table public.users",
    ]
    assert all("fails without CASCADE" not in f.message for f in found)  # both go together


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;",
        "DROP VIEW recent_posts;",
        "DROP INDEX posts_created_idx;",
        "DROP SEQUENCE posts_id_seq;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
