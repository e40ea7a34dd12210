from __future__ import annotations

import psycopg
import pytest

from zdt.analysis import Finding, Severity, analyse_sql
from zdt.schema import introspect

RULE = "ban-cluster"


def _findings(sql: str, **options: object) -> list[Finding]:
    reports = analyse_sql(sql, **options)  # type: ignore[arg-type]
    return [finding for report in reports for finding in report.findings if finding.rule == RULE]


@pytest.mark.parametrize(
    ("sql", "subject"),
    [
        ("CLUSTER posts USING posts_created_idx;", "public.posts"),
        ("CLUSTER VERBOSE blog.posts;", "blog.posts"),
        ("CLUSTER;", "every previously clustered table"),
    ],
)
def test_cluster_is_an_error(sql: str, subject: str) -> None:
    [finding] = _findings(sql)
    assert finding.severity is Severity.ERROR
    assert f"CLUSTER rewrites {subject}" in finding.message and "AccessExclusiveLock" in finding.message
    assert "pg_repack" in finding.fix


def test_severity_follows_the_table_size(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE events (id bigint PRIMARY KEY)")
    conn.execute("INSERT INTO events SELECT generate_series(1, 20000)")
    conn.execute("CREATE TABLE flags (id bigint PRIMARY KEY)")
    conn.execute("ANALYZE events")
    snapshot = introspect(conn)
    [finding] = _findings("CLUSTER events USING events_pkey;", snapshot=snapshot)
    assert finding.severity is Severity.ERROR and "~20,000 rows" in finding.message
    [finding] = _findings("CLUSTER flags USING flags_pkey;", snapshot=snapshot)
    assert finding.severity is Severity.INFO  # empty: the rewrite is instant


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE sorted (id bigint PRIMARY KEY);\nCLUSTER sorted USING sorted_pkey;",
        "ALTER TABLE posts CLUSTER ON posts_created_idx;",
        "VACUUM (ANALYZE) posts;",
    ],
)
def test_safe_forms_are_not_flagged(sql: str) -> None:
    assert _findings(sql) == []
