"""ban-concurrently-in-transaction: the statements PostgreSQL refuses inside a transaction block are
flagged there, and only there — checked against what the server really refuses."""

from __future__ import annotations

import psycopg
import pytest

from tests.analysis.rules.rule_helpers import findings
from zdt.analysis import Severity

RULE = "ban-concurrently-in-transaction"
SETUP = """
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE INDEX posts_title_idx ON posts (title);
"""
REFUSED_IN_A_TRANSACTION = [
    "CREATE INDEX CONCURRENTLY posts_title_lower_idx ON posts (lower(title))",
    "DROP INDEX CONCURRENTLY posts_title_idx",
    "REINDEX INDEX CONCURRENTLY posts_title_idx",
    "VACUUM posts",
]


@pytest.mark.parametrize("statement", REFUSED_IN_A_TRANSACTION)
def test_flagged_inside_begin_commit_and_refused_there_by_the_server(
    statement: str, conn: psycopg.Connection
) -> None:
    [finding] = findings(RULE, f"BEGIN;\n{statement};\nCOMMIT;")
    assert finding.severity is Severity.ERROR
    assert "cannot run inside a transaction block" in finding.message
    conn.execute(SETUP)
    with pytest.raises(psycopg.errors.ActiveSqlTransaction), conn.transaction():
        conn.execute(statement)


@pytest.mark.parametrize("statement", REFUSED_IN_A_TRANSACTION)
def test_not_flagged_in_autocommit_where_the_server_runs_it(statement: str, conn: psycopg.Connection) -> None:
    assert findings(RULE, f"{statement};") == []
    assert findings(RULE, f"BEGIN;\nSELECT 1;\nCOMMIT;\n{statement};") == []
    conn.execute(SETUP)
    conn.execute(statement)


def test_statements_that_may_run_in_a_transaction_are_not_flagged(conn: psycopg.Connection) -> None:
    sql = (
        "BEGIN;\nCREATE INDEX posts_id_title_idx ON posts (id, title);\nDROP INDEX posts_title_idx;\nCOMMIT;"
    )
    assert findings(RULE, sql) == []
    conn.execute(SETUP)
    conn.execute(sql)


def test_every_refused_statement_of_the_block_is_flagged() -> None:
    sql = "BEGIN;\nDROP INDEX CONCURRENTLY a_idx;\nSELECT 1;\nDROP INDEX CONCURRENTLY b_idx;\nCOMMIT;"
    assert len(findings(RULE, sql)) == 2
