"""do-block: a DO block runs as one irreversible contract step once every statement in it has been read
and analysed: its lock is the strongest they take, and what the analyser refuses on its own, or cannot
know (SQL built at run time), is refused inside a DO block too, with its line."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import LOG_NAME, create_posts, execute, plan_against, scalar
from zdt.analysis.locks import LockMode
from zdt.executor import MigrationStatus, rollback_migration
from zdt.plan.model import LockDuration, Phase
from zdt.recipes.do_block import CANNOT_UNDO
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

FIX = """DO $$
DECLARE
    touched integer;
BEGIN
    UPDATE posts SET title = 'Welcome' WHERE id = 1;
    GET DIAGNOSTICS touched = ROW_COUNT;
    IF touched = 1 THEN
        INSERT INTO authors (id, name) VALUES (101, 'editor');
    END IF;
    EXECUTE 'ALTER TABLE posts ADD COLUMN featured boolean';
END
$$;"""


def test_block_is_one_contract_step_with_the_strongest_lock_of_its_statements(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, FIX)
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.transactional and step.sql == [FIX.removesuffix(";")]
    assert step.lock is LockMode.ACCESS_EXCLUSIVE  # the constant EXECUTE's ALTER TABLE
    assert step.lock_duration is LockDuration.BRIEF
    assert set(step.tables) == {"public.posts", "public.authors"}
    assert "UpdateStmt on public.posts (RowExclusiveLock)" in step.description
    assert "InsertStmt on public.authors (RowExclusiveLock)" in step.description
    assert "AlterTableStmt on public.posts (AccessExclusiveLock)" in step.description
    assert step.rollback.irreversible == CANNOT_UNDO

    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT title FROM posts WHERE id = 1") == "Welcome"
    assert scalar(database_url, "SELECT name FROM authors WHERE id = 101") == "editor"
    after = fingerprint(database_url)
    undone = rollback_migration(planned.plan, database_url, log_path=tmp_path / LOG_NAME)
    assert undone.status is MigrationStatus.ROLLBACK_FAILED and CANNOT_UNDO in undone.message
    assert fingerprint(database_url) == after


def test_a_statement_the_analyser_flags_is_refused_inside_the_block_with_its_line(
    conn: psycopg.Connection,
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    block = (
        "SET lock_timeout = '1s';\nDO $$\nBEGIN\n    IF true THEN\n"
        "        CREATE INDEX posts_body_idx ON posts (body);\n    END IF;\nEND $$;"
    )
    with pytest.raises(
        PlanningError, match=r"line 5: the DO block runs IndexStmt .*\[require-concurrent-index-creation\]"
    ):
        plan_sql(block, snapshot=snapshot)
    with pytest.raises(
        PlanningError, match=r"line 1: the DO block runs VacuumStmt .*cannot run inside a transaction"
    ):
        plan_sql("DO $$ BEGIN VACUUM posts; END $$;", snapshot=snapshot)


def test_sql_built_at_run_time_transaction_control_and_other_languages_are_refused(
    conn: psycopg.Connection,
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    dynamic = (
        "DO $$\nDECLARE t text := 'posts';\nBEGIN\n"
        "    EXECUTE format('ALTER TABLE %I ADD COLUMN x int', t);\nEND $$;"
    )
    with pytest.raises(
        PlanningError, match=r"line 4: the DO block runs SQL built at run time \(EXECUTE format"
    ):
        plan_sql(dynamic, snapshot=snapshot)
    with pytest.raises(PlanningError, match="line 1: the DO block commits or rolls back itself"):
        plan_sql("DO $$ BEGIN UPDATE posts SET score = 1 WHERE id = 1; COMMIT; END $$;", snapshot=snapshot)
    with pytest.raises(PlanningError, match=r"line 1: zdt cannot analyse this DO block: .*LANGUAGE plperl"):
        plan_sql("DO LANGUAGE plperl $$ 1 $$;", snapshot=snapshot)


def test_statements_about_what_the_block_touches_stay_after_it(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """The block goes to contract; a later statement about a table it creates must not move ahead of it
    into expand (the block has the object keys of the statements in it). The block's statements are
    analysed on a copy of the planner's state, as the gate (which sees one DO statement) checks them:
    the index on the block's table is built CONCURRENTLY, as on any table not known to be new."""
    create_posts(conn)
    sql = (
        "DO $$ BEGIN CREATE TABLE tags (id bigint PRIMARY KEY, name text); END $$;\n"
        "CREATE INDEX tags_name_idx ON tags (name);\n"
        "ALTER TABLE posts ADD COLUMN subtitle text;"
    )
    planned = plan_against(database_url, sql)
    assert [(step.id, step.phase) for step in planned.plan.steps] == [
        ("s03-alter-table", Phase.EXPAND),  # independent of the block: moves ahead as usual
        ("s01-do", Phase.CONTRACT),
        ("s02-create-index", Phase.CONTRACT),
    ]
    assert planned.plan.steps[2].recipe == "create-index-concurrently"
    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
