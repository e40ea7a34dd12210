from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "renaming-table"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "old", "new"),
    [
        ("ALTER TABLE posts RENAME TO articles;", "public.posts", "public.articles"),
        ("ALTER TABLE IF EXISTS blog.posts RENAME TO articles;", "blog.posts", "blog.articles"),
        ("ALTER TABLE posts SET SCHEMA archive;", "public.posts", "archive.posts"),
        ("ALTER VIEW recent_posts RENAME TO latest_posts;", "public.recent_posts", "public.latest_posts"),
        ("ALTER MATERIALIZED VIEW post_stats RENAME TO stats;", "public.post_stats", "public.stats"),
    ],
)
def test_renaming_is_an_error_naming_both_names(sql: str, old: str, new: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert old in finding.message and new in finding.message
    assert f"CREATE VIEW {new} AS SELECT * FROM {old}" in finding.fix


def test_the_snapshot_tells_a_view_renamed_with_alter_table(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE posts (id bigint, title text)")
    conn.execute("CREATE VIEW post_titles AS SELECT id, title FROM posts")
    snapshot = introspect(conn)
    [finding] = _findings("ALTER TABLE post_titles RENAME TO titles;", snapshot=snapshot)
    assert finding.message.startswith("renaming view public.post_titles to public.titles")
    [finding] = _findings("ALTER TABLE posts RENAME TO articles;", snapshot=snapshot)
    assert finding.message.startswith("renaming table public.posts")


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE drafts (id bigint);\nALTER TABLE drafts RENAME TO notes;",
        "CREATE TABLE drafts (id bigint);\nALTER TABLE drafts SET SCHEMA archive;",
        "CREATE VIEW articles AS SELECT * FROM posts;",
        "ALTER TABLE posts RENAME COLUMN title TO headline;",
        "ALTER INDEX posts_created_idx RENAME TO posts_created_at_idx;",
        "ALTER TYPE mood SET SCHEMA archive;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
