"""The read-only query rules: one SELECT, nothing written or locked anywhere in it, no secret read."""

from __future__ import annotations

import pytest

from zdt.policy import PolicyViolation
from zdt.policy.readonly import check_readonly_query


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("SELECT * FROM (SELECT * FROM users FOR UPDATE) s", "FOR UPDATE/SHARE"),
        ("SELECT (WITH x AS (DELETE FROM users RETURNING 1) SELECT 1)", "DELETE"),
        ("SELECT row_to_json(a) FROM pg_stat_activity a", "pg_stat_activity.query"),
        ("SELECT a.* FROM pg_stat_activity a", "pg_stat_activity.query"),
        ("SELECT s.srvoptions FROM pg_foreign_server s", "pg_foreign_server.srvoptions"),
        ("SELECT * FROM pg_catalog.pg_statistic", "pg_statistic"),
        ("SELECT subconninfo FROM pg_subscription", "pg_subscription"),
        ("SELECT setting FROM pg_settings WHERE name = 'primary_conninfo'", "primary_conninfo"),
        ("EXPLAIN UPDATE users SET email = ''", "only a SELECT"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
    ],
)
def test_refused(sql: str, said: str) -> None:
    with pytest.raises(PolicyViolation, match=said):
        check_readonly_query(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT pid, state, wait_event FROM pg_stat_activity",
        "SELECT count(*) FROM pg_stat_activity a WHERE a.state = 'active'",
        "SELECT srvname FROM pg_foreign_server",
        "EXPLAIN SELECT * FROM users WHERE id = 1",
        "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
        "VALUES (1)",
    ],
)
def test_allowed(sql: str) -> None:
    check_readonly_query(sql)
