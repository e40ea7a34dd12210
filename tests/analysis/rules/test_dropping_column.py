from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "dropping-column"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("ALTER TABLE posts DROP COLUMN body;", "public.posts.body"),
        ("ALTER TABLE posts DROP body;", "public.posts.body"),
        ("ALTER TABLE IF EXISTS posts DROP COLUMN IF EXISTS body;", "public.posts.body"),
        ("ALTER TABLE blog.posts DROP COLUMN body CASCADE;", "blog.posts.body"),
    ],
)
def test_drop_column_is_a_contract_phase_warning(sql: str, column: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.WARNING
    assert column in finding.message and "backup" in finding.message
    assert "contract phase" in finding.fix and "no longer uses" in finding.fix


def test_every_dropped_column_gets_its_own_finding() -> None:
    found = _findings("ALTER TABLE posts DROP COLUMN body, ADD COLUMN x int, DROP COLUMN status;")
    assert [("posts.body" in f.message, "posts.status" in f.message) for f in found] == [
        (True, False),
        (False, True),
    ]


def test_dependent_views_from_the_snapshot_are_named(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE posts (id bigint, title text, body text)")
    conn.execute("CREATE VIEW post_titles AS SELECT id, title FROM posts")
    snapshot = introspect(conn)
    [finding] = _findings("ALTER TABLE posts DROP COLUMN title;", snapshot=snapshot)
    assert "public.post_titles" in finding.message and "fails" in finding.message
    [finding] = _findings("ALTER TABLE posts DROP COLUMN title CASCADE;", snapshot=snapshot)
    assert "CASCADE also drops" in finding.message and "public.post_titles" in finding.message
    conn.execute("CREATE TABLE notes (id bigint, body text)")
    [finding] = _findings("ALTER TABLE notes DROP COLUMN body;", snapshot=introspect(conn))
    assert "view" not in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE drafts (id bigint, body text);\nALTER TABLE drafts DROP COLUMN body;",
        "ALTER TABLE posts DROP CONSTRAINT posts_status_check;",
        "ALTER TABLE posts ALTER COLUMN body DROP DEFAULT;",
        "CREATE TYPE pair AS (a int, b int);\nALTER TYPE pair DROP ATTRIBUTE b;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
