from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "statement-after-access-exclusive"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "work", "held"),
    [
        (
            "BEGIN;\nALTER TABLE posts ADD COLUMN summary text;\n"
            "CREATE INDEX posts_author_idx ON posts (author_id);\nCOMMIT;",
            "this IndexStmt scans public.posts",
            "public.posts (statement 2)",
        ),
        (
            "BEGIN;\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;\n"
            "ALTER TABLE posts ALTER COLUMN author_id TYPE bigint;\nCOMMIT;",
            "this AlterTableStmt rewrites public.posts",
            "public.users (statement 2)",
        ),
        (
            "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\n"
            "ALTER TABLE users VALIDATE CONSTRAINT users_email_check;\nCOMMIT;",
            "this AlterTableStmt scans public.users",
            "public.users (statement 2)",
        ),
        (
            "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nSELECT 1;\n"
            "UPDATE posts SET status = 'x';\nCOMMIT;",
            "this UpdateStmt scans public.posts",
            "public.users (statement 2)",
        ),
    ],
)
def test_slow_statement_after_access_exclusive_is_flagged(sql: str, work: str, held: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith(work)
    assert f"AccessExclusiveLock on {held}" in finding.message and "reads included" in finding.message
    assert "COMMIT right after" in finding.fix


def test_severity_follows_the_size_of_the_scanned_table(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE small_t (id bigint, v int)")
    conn.execute("CREATE TABLE big_t (id bigint, v int)")
    conn.execute("INSERT INTO small_t SELECT g, g FROM generate_series(1, 50) g")
    conn.execute("INSERT INTO big_t SELECT g, g FROM generate_series(1, 20000) g")
    conn.execute("ANALYZE small_t, big_t")
    snapshot = introspect(conn)
    template = "BEGIN;\nALTER TABLE small_t ADD COLUMN w int;\nCREATE INDEX {0}_v_idx ON {0} (v);\nCOMMIT;"
    [finding] = _findings(template.format("big_t"), snapshot=snapshot)
    assert finding.severity is Severity.ERROR and "~20,000 rows" in finding.message
    [finding] = _findings(template.format("small_t"), snapshot=snapshot)
    assert finding.severity is Severity.WARNING


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE posts ADD COLUMN summary text;\nCREATE INDEX posts_author_idx ON posts (author_id);",
        "BEGIN;\nALTER TABLE posts ADD COLUMN summary text;\nCOMMIT;\n"
        "CREATE INDEX posts_author_idx ON posts (author_id);",
        # the statement takes AccessExclusiveLock on that table itself: nothing added
        "BEGIN;\nALTER TABLE posts ADD COLUMN a int;\nALTER TABLE posts ALTER COLUMN author_id TYPE bigint;\n"
        "COMMIT;",
        # the lock held earlier does not block reads
        "BEGIN;\nCREATE INDEX posts_a_idx ON posts (author_id);\nCREATE INDEX users_n_idx ON users (name);\n"
        "COMMIT;",
        # nothing to scan
        "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nALTER TABLE posts ADD COLUMN summary text;\nCOMMIT;",
        # the scanned table is new
        "BEGIN;\nALTER TABLE users ADD COLUMN bio text;\nCREATE TABLE tags (id bigint);\n"
        "CREATE INDEX tags_id_idx ON tags (id);\nCOMMIT;",
        # the exclusively locked table is new
        "BEGIN;\nCREATE TABLE tags (id bigint);\nALTER TABLE tags ADD COLUMN name text;\n"
        "CREATE INDEX posts_a_idx ON posts (author_id);\nCOMMIT;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
