"""Grouping steps by phase never moves a statement ahead of an earlier one about the same object.

Each case is planned against a live table (over the small-table threshold), stamped by the gate, applied
through the real executor, and compared with what the file does when run as written.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from zdt.db.scratch import scratch_database
from zdt.executor import apply_plan
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

SCHEMA = """
CREATE TABLE t (id bigint PRIMARY KEY, a int, b text, c int);
INSERT INTO t SELECT g, g % 100, 'b' || g, g FROM generate_series(1, 12000) g;
CREATE INDEX t_a_idx ON t (a);
ANALYZE t;
"""
# Views read columns: PostgreSQL refuses to change the type of (or drop) a column a view reads.
VIEW_SCHEMA = """
CREATE TABLE p (id bigint PRIMARY KEY, name varchar(20), bio text);
INSERT INTO p SELECT g, 'n' || g, 'b' || g FROM generate_series(1, 12000) g;
CREATE VIEW p_all AS SELECT * FROM p;
CREATE VIEW p_bio AS SELECT id, bio FROM p;
ANALYZE p;
"""
SETTINGS = PlannerSettings(batch_size=5_000, batch_pause_ms=0)


def _plan(url: str, sql: str) -> MigrationPlan:
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    return stamp(plan_sql(sql, snapshot=snapshot, settings=SETTINGS), snapshot)


def _as_written(admin_url: str, sql: str, schema: str = SCHEMA) -> str:
    """The schema the file leaves when run as written, on a scratch database."""
    with (
        scratch_database(admin_url, prefix="zdt_order") as url,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        conn.execute(schema)
        conn.execute(sql)
        return introspect(conn).fingerprint()


def _applied(url: str, plan: MigrationPlan, log: Path) -> str:
    result = apply_plan(plan, url, log_path=log)
    assert result.ok, result.message
    with psycopg.connect(url) as conn:
        return introspect(conn).fingerprint()


def _index_columns(conn: psycopg.Connection, index: str) -> str | None:
    row = conn.execute(
        "SELECT pg_get_indexdef(c.oid) FROM pg_class c WHERE c.relname = %s AND c.relkind = 'i'", (index,)
    ).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    "sql",
    [
        "DROP INDEX IF EXISTS t_a_idx;\nCREATE INDEX IF NOT EXISTS t_a_idx ON t (a, b);",
        "DROP INDEX t_a_idx;\nCREATE INDEX t_a_idx ON t (a, b);",
    ],
    ids=["if-exists", "plain"],
)
def test_an_index_dropped_and_re_created_ends_up_re_created(
    sql: str, conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    plan = _plan(database_url, sql)
    assert [step.phase for step in plan.steps] == [Phase.CONTRACT, Phase.CONTRACT]
    assert "s01" in plan.steps[0].id and "s02" in plan.steps[1].id  # the drop first, as written
    assert any("must follow line 1" in note and "public.t_a_idx" in note for note in plan.notes)
    assert _applied(database_url, plan, tmp_path / "log.md") == _as_written(admin_url, sql)
    definition = _index_columns(conn, "t_a_idx")
    assert definition is not None and definition.endswith("(a, b)")


def test_a_column_dropped_and_re_added_is_re_added_after_the_drop(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    sql = "ALTER TABLE t DROP COLUMN b;\nALTER TABLE t ADD COLUMN b integer;"
    conn.execute(SCHEMA)
    plan = _plan(database_url, sql)
    assert {step.phase for step in plan.steps} == {Phase.CONTRACT}
    assert _applied(database_url, plan, tmp_path / "log.md") == _as_written(admin_url, sql)
    kind = conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 't'::regclass AND attname = 'b' AND NOT attisdropped"
    ).fetchone()
    assert kind == ("integer",)


def test_statements_about_different_objects_are_still_grouped_by_phase(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    sql = "ALTER TABLE t DROP COLUMN b;\nCREATE INDEX t_c_idx ON t (c);"
    conn.execute(SCHEMA)
    plan = _plan(database_url, sql)
    phases = [(step.id.split("-", 1)[0], step.phase) for step in plan.steps]
    assert phases[0] == ("s02", Phase.EXPAND)  # the index is built in expand, before the drop
    assert {phase for statement, phase in phases if statement == "s01"} == {Phase.CONTRACT}
    assert not any("must follow" in note for note in plan.notes)
    assert _applied(database_url, plan, tmp_path / "log.md") == _as_written(admin_url, sql)


def _statement_order(plan: MigrationPlan) -> list[str]:
    """The statements (s01, s02, ...) in the order the plan runs their steps, each once."""
    order: list[str] = []
    for step in plan.steps:
        statement = step.id.split("-", 1)[0]
        if statement not in order:
            order.append(statement)
    return order


@pytest.mark.parametrize(
    ("sql", "order"),
    [
        # lemmy 2021-07-20-102033_actor_name_length: the view is dropped so that the column can change.
        (
            "DROP VIEW p_all;\nALTER TABLE p ALTER COLUMN name TYPE varchar(255);\n"
            "CREATE VIEW p_all AS SELECT * FROM p;",
            ["s01", "s02", "s03"],
        ),
        # A view the file creates, then drops before changing a column it reads (the create of p_name
        # has nothing to do with the drop of p_all: it is built in expand, ahead of it).
        (
            "DROP VIEW p_all;\nCREATE VIEW p_name AS SELECT id, name FROM p;\nDROP VIEW p_name;\n"
            "ALTER TABLE p ALTER COLUMN name TYPE varchar(255);",
            ["s02", "s01", "s03", "s04"],
        ),
    ],
    ids=["drop-change-recreate", "view-of-the-file"],
)
def test_a_column_change_stays_after_the_drop_of_a_view_that_reads_it(
    sql: str, order: list[str], conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    conn.execute(VIEW_SCHEMA)
    plan = _plan(database_url, sql)
    assert _statement_order(plan) == order
    assert any("uses column public.p.name" in note for note in plan.notes), plan.notes
    assert _applied(database_url, plan, tmp_path / "log.md") == _as_written(admin_url, sql, VIEW_SCHEMA)


def test_a_view_of_every_column_is_created_after_a_column_it_would_read_is_dropped(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    sql = "ALTER TABLE t DROP COLUMN b;\nCREATE VIEW t_all AS SELECT * FROM t;"
    conn.execute(SCHEMA)
    plan = _plan(database_url, sql)
    assert _statement_order(plan) == ["s01", "s02"]
    assert _applied(database_url, plan, tmp_path / "log.md") == _as_written(admin_url, sql)
