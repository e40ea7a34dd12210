"""Which application statements use what contract removes, read as pg_stat_statements shows them.

The texts are the normalised form the server records (``$1`` for constants); they are parsed by the
real PostgreSQL parser (pglast), as zdt reads them from a live server in tests/rollout/test_evidence.py.
"""

from __future__ import annotations

import pytest

from zdt.rollout import RetiredObject, retired_references

EMAIL = RetiredObject(schema_name="public", table="users", column="email", kind="column", step_id="s01")
LEGACY = RetiredObject(schema_name="public", table="legacy_audit", kind="table", step_id="s02")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id, email FROM users WHERE id = $1",
        "SELECT u.email FROM public.users AS u JOIN posts p ON p.author_id = u.id",
        "SELECT * FROM users WHERE id = $1",
        "INSERT INTO users (email) VALUES ($1)",
        "INSERT INTO users VALUES ($1, $2)",
        "UPDATE users SET email = $1 WHERE id = $2",
        "SELECT count(*) FROM (SELECT email FROM users) AS s",
        "WITH x AS (SELECT email FROM users) SELECT * FROM x",
    ],
)
def test_statements_that_use_the_old_column(query: str) -> None:
    assert retired_references(query, [EMAIL]) == [EMAIL]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id, email_address FROM users WHERE id = $1",
        "SELECT email FROM subscribers",
        "SELECT id FROM other.users WHERE email_address = $1",
        "UPDATE users SET email_address = $1 WHERE id = $2",
        "not sql at all (",
    ],
)
def test_statements_that_do_not(query: str) -> None:
    assert retired_references(query, [EMAIL]) == []


def test_a_retired_table_is_used_by_any_statement_naming_it() -> None:
    assert retired_references("DELETE FROM legacy_audit WHERE id = $1", [EMAIL, LEGACY]) == [LEGACY]
    assert retired_references("SELECT 1 FROM users WHERE id = $1", [EMAIL, LEGACY]) == []
