"""rename-column: RENAME COLUMN becomes a second column under the new name, kept equal by a trigger.

What is proven here, on a real server: the plan passes the gate on a table above the small-table
threshold; after expand and migrate, code using the old name and code using the new name both read and
write, each seeing the other's writes (defaults, NOT NULL and the unique index included); writes through
the old name during the backfill end up right; undoing expand and migrate restores the exact schema;
prepared statements on either name survive the steps their code lives through; and the contract ends in
exactly the schema the plain RENAME gives. Every plan runs through the real executor.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from pglast import ast, parser
from pglast.enums import ObjectType

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    analyse_original,
    apply_reversible_then_undo,
    error_findings,
    execute,
    plan_against,
    scalar,
    steps_in,
)
from zdt.db.scratch import scratch_database
from zdt.executor import EventKind, ExecutionEvent, MigrationStatus, apply_plan
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import Phase
from zdt.recipes.base import PlannerSettings
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.schema import introspect

ROWS = 12_000  # above the analyser's small-table threshold, so the gate judges the plan at full severity
TABLE = "public.users"
RENAME = "ALTER TABLE users RENAME COLUMN name TO full_name;"
UNTOUCHED = ["id", "email", "status"]

SCHEMA = """
CREATE TABLE users (
    id bigint PRIMARY KEY,
    name varchar(50) NOT NULL,
    email text,
    status text NOT NULL DEFAULT 'active'
);
INSERT INTO users
SELECT g, 'user ' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'u' || g || '@example.com' END,
       CASE WHEN g % 3 = 0 THEN 'idle' ELSE 'active' END
FROM generate_series(1, {rows}) g;
CREATE UNIQUE INDEX users_name_key ON users (name);
CREATE INDEX users_lower_name_idx ON users (lower(name));
ANALYZE users;
"""


def create_users(conn: psycopg.Connection, rows: int = ROWS) -> None:
    conn.execute(SCHEMA.format(rows=rows))


def plain_rename_fingerprint(admin_url: str, statement: str) -> str:
    """The schema the plain statement leaves, on a scratch database: what the contract must end in."""
    with (
        scratch_database(admin_url, prefix="zdt_plain") as url,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        create_users(conn, rows=10)
        conn.execute(statement)
        return fingerprint(url)


def test_the_plan_is_expand_migrate_contract_and_passes_the_gate(
    conn: psycopg.Connection, database_url: str, server_version: int
) -> None:
    create_users(conn)
    planned = plan_against(database_url, RENAME)  # asserts: gate clean, no forward statement in error
    plan = planned.plan

    (original,) = analyse_original(RENAME, planned.snapshot)
    assert any("renaming-column" in finding for finding in error_findings(original))

    assert {step.recipe for step in plan.steps} == {"rename-column"}
    expand, migrate, contract = (steps_in(plan, phase) for phase in Phase)
    route = "not-null-not-valid" if server_version >= 18 else "check-not-valid"
    assert [step.id for step in expand] == ["s01-add-full_name", "s01-sync-trigger", f"s01-full_name-{route}"]
    assert [step.id for step in migrate][:2] == ["s01-backfill", "s01-vacuum"]
    assert [step.id for step in migrate][-2:] == [
        "s01-index-users_lower_name_idx",
        "s01-index-users_name_key",
    ]
    assert [step.id for step in contract] == ["s01-drop-name"]
    index = plan.step("s01-index-users_lower_name_idx")
    assert index.sql == [
        "CREATE INDEX CONCURRENTLY users_lower_name_idx_zdt "
        "ON public.users ((lower(CAST(full_name AS text))))"
    ]
    assert not index.transactional
    # A rename's values need no conversion, so the trigger has no round-trip guard to check.
    assert "RAISE" not in plan.step("s01-sync-trigger").sql[0]
    for step in plan.steps:
        for statement in step.sql:
            for raw in parser.parse_sql(statement):
                renames_column = (
                    isinstance(raw.stmt, ast.RenameStmt) and raw.stmt.renameType == ObjectType.OBJECT_COLUMN
                )
                assert not renames_column, statement


def test_old_and_new_code_share_the_column_and_the_contract_ends_as_the_rename_would(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_users(conn)
    plan = plan_against(database_url, RENAME).plan
    untouched = table_checksum(database_url, TABLE, UNTOUCHED)
    names = table_checksum(database_url, TABLE, ["id", "name"])

    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    conn.execute("INSERT INTO users (id, name) VALUES (-1, 'written by old code')")
    conn.execute("INSERT INTO users (id, full_name) VALUES (-2, 'written by new code')")
    conn.execute("UPDATE users SET name = 'renamed by old code' WHERE id = -2")
    conn.execute("UPDATE users SET full_name = 'renamed by new code' WHERE id = -1")
    rows = conn.execute("SELECT id, name, full_name, status FROM users WHERE id < 0 ORDER BY id").fetchall()
    assert rows == [
        (-2, "renamed by old code", "renamed by old code", "active"),
        (-1, "renamed by new code", "renamed by new code", "active"),
    ]
    # The unique index holds for the new name already, and NOT NULL does too, whichever name is written.
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO users (id, full_name) VALUES (-3, 'user 5')")
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO users (id, full_name) VALUES (-4, NULL)")
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("UPDATE users SET full_name = NULL WHERE id = -1")
    # The expression index was rebuilt for the new name, so new code's lookups can use it.
    explain = conn.execute(
        "EXPLAIN (COSTS OFF) SELECT id FROM users WHERE lower(full_name) = 'user 5'"
    ).fetchall()
    assert any("users_lower_name_idx_zdt" in line for (line,) in explain)
    conn.execute("DELETE FROM users WHERE id < 0")

    execute(database_url, plan, Phase.CONTRACT, log_dir=tmp_path)
    assert table_checksum(database_url, TABLE, UNTOUCHED) == untouched
    assert table_checksum(database_url, TABLE, ["id", "full_name"]) == names
    assert fingerprint(database_url) == plain_rename_fingerprint(admin_url, RENAME)


def test_a_renamed_column_keeps_its_default_for_old_and_new_code(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_users(conn)
    statement = "ALTER TABLE users RENAME COLUMN status TO state;"
    plan = plan_against(database_url, statement).plan
    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)
    conn.execute("INSERT INTO users (id, name) VALUES (-1, 'old code, default')")
    conn.execute("INSERT INTO users (id, name, status) VALUES (-2, 'old code, idle', 'idle')")
    conn.execute("INSERT INTO users (id, name, state) VALUES (-3, 'new code, idle', 'idle')")
    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)
    conn.execute("INSERT INTO users (id, name) VALUES (-4, 'new code, default')")
    rows = conn.execute("SELECT id, status, state FROM users WHERE id < 0 ORDER BY id DESC").fetchall()
    assert rows == [
        (-1, "active", "active"),
        (-2, "idle", "idle"),
        (-3, "idle", "idle"),
        (-4, "active", "active"),
    ]
    conn.execute("DELETE FROM users WHERE id < 0")
    execute(database_url, plan, Phase.CONTRACT, log_dir=tmp_path)
    assert fingerprint(database_url) == plain_rename_fingerprint(admin_url, statement)


def test_rolling_back_expand_and_migrate_restores_the_exact_schema(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_users(conn)
    plan = plan_against(database_url, RENAME).plan
    data = table_checksum(database_url, TABLE, [*UNTOUCHED, "name"])
    apply_reversible_then_undo(database_url, plan, tmp_path)  # asserts the fingerprint before == after
    assert table_checksum(database_url, TABLE, [*UNTOUCHED, "name"]) == data


def test_writes_through_the_old_name_during_the_backfill_end_up_under_the_new_name(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_users(conn)
    with psycopg.connect(database_url) as snapshot_conn:
        snapshot = introspect(snapshot_conn)
    plan = plan_sql(RENAME, snapshot=snapshot, settings=PlannerSettings(batch_size=300, batch_pause_ms=0))
    assert check_plan(plan, snapshot) == []
    plan = stamp(plan, snapshot)
    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)

    writer = OldCodeWriter(database_url)
    writer.start()
    writer.wait_until_writing()
    backfill, *_ = steps_in(plan, Phase.MIGRATE)
    writes_at: dict[EventKind, int] = {}

    def count_writes(event: ExecutionEvent) -> None:
        if event.step_id == backfill.id and event.kind in (EventKind.STEP_STARTED, EventKind.STEP_DONE):
            writes_at[event.kind] = writer.writes

    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path, on_event=count_writes)
    during_backfill = writes_at[EventKind.STEP_DONE] - writes_at[EventKind.STEP_STARTED]
    writer.stop()

    assert writer.error is None, writer.error
    assert during_backfill > 0
    assert scalar(database_url, "SELECT count(*) FROM users WHERE name LIKE 'edited %%'") > 0
    assert scalar(database_url, "SELECT count(*) FROM users WHERE id > %s", (ROWS,)) == writer.inserted
    assert scalar(database_url, "SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name") == 0


class OldCodeWriter(threading.Thread):
    """The previous release at work: inserts and updates through the old column name only."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.writes = 0
        self.inserted = 0
        self.error: BaseException | None = None
        self._writing = threading.Event()
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                step = 0
                while not self._halt.is_set():
                    step += 1
                    row = 1 + (step * 7919) % ROWS
                    conn.execute("UPDATE users SET name = %s WHERE id = %s", (f"edited {row} {step}", row))
                    if step % 5 == 0:
                        conn.execute(
                            "INSERT INTO users (id, name) VALUES (%s, %s)", (ROWS + step, f"new {step}")
                        )
                        self.inserted += 1
                    self.writes += 1
                    if self.writes >= 20:
                        self._writing.set()
        except BaseException as error:
            self.error = error
            self._writing.set()

    def wait_until_writing(self) -> None:
        assert self._writing.wait(10)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def test_prepared_statements_on_either_name_survive(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """Old code's prepared statements on ``name`` live through expand and migrate, new code's on
    ``full_name`` through migrate and contract; each reads the other's writes."""
    create_users(conn)
    plan = plan_against(database_url, RENAME).plan
    with (
        psycopg.connect(database_url, autocommit=True) as old_code,
        psycopg.connect(database_url, autocommit=True) as new_code,
    ):
        old_code.execute("PREPARE old_read AS SELECT id, name FROM users WHERE id = $1")
        old_code.execute("PREPARE old_write AS UPDATE users SET name = $2 WHERE id = $1")
        assert old_code.execute("EXECUTE old_read(1)").fetchone() == (1, "user 1")

        execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)
        old_code.execute("EXECUTE old_write(2, 'old code 2')")
        assert old_code.execute("EXECUTE old_read(2)").fetchone() == (2, "old code 2")
        new_code.execute("PREPARE new_read AS SELECT id, full_name FROM users WHERE id = $1")
        new_code.execute("PREPARE new_write AS UPDATE users SET full_name = $2 WHERE id = $1")
        for _ in range(6):  # psycopg's own server-side preparation, from the 5th execution on
            new_code.execute("SELECT full_name FROM users WHERE id = %s", (2,))
        assert new_code.execute("EXECUTE new_read(2)").fetchone() == (2, "old code 2")

        execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)
        new_code.execute("EXECUTE new_write(3, 'new code 3')")
        assert old_code.execute("EXECUTE old_read(3)").fetchone() == (3, "new code 3")
        old_code.execute("EXECUTE old_write(3, 'old code 3')")
        assert new_code.execute("EXECUTE new_read(3)").fetchone() == (3, "old code 3")

        execute(database_url, plan, Phase.CONTRACT, log_dir=tmp_path)
        assert new_code.execute("EXECUTE new_read(3)").fetchone() == (3, "old code 3")
        new_code.execute("EXECUTE new_write(4, 'after the contract')")
        assert new_code.execute("SELECT full_name FROM users WHERE id = %s", (4,)).fetchone() == (
            "after the contract",
        )
        prepared = "SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql"
        assert new_code.execute(prepared).fetchone()[0] >= 1  # psycopg's protocol-level statement


@pytest.mark.parametrize(
    ("setup", "refusal"),
    [
        (
            "ALTER TABLE users ADD CONSTRAINT users_name_not_blank CHECK (name <> '')",
            r"CHECK constraint users_name_not_blank uses name",
        ),
        (
            "CREATE TABLE posts (id integer PRIMARY KEY, author varchar(50) REFERENCES users (name))",
            r"foreign key posts_author_fkey of public\.posts references name",
        ),
        ("ALTER TABLE users ADD COLUMN full_name text", r"public\.users already has a column full_name"),
        (
            "CREATE VIEW user_names AS SELECT id, name FROM users",
            r"views depend on public\.users \(public\.user_names\)",
        ),
    ],
)
def test_what_it_cannot_carry_over_is_refused_by_name(
    conn: psycopg.Connection, setup: str, refusal: str
) -> None:
    create_users(conn, rows=100)
    conn.execute(setup)
    with pytest.raises(PlanningError, match=refusal):
        plan_sql(RENAME, snapshot=introspect(conn))


def test_the_real_executor_runs_the_rename_phase_by_phase(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_users(conn)
    planned = plan_against(database_url, RENAME)
    plan = stamp(planned.plan, planned.snapshot)
    names = table_checksum(database_url, TABLE, ["id", "name"])
    log = tmp_path / "MIGRATION-LOG.md"

    started = apply_plan(plan, database_url, phases=[Phase.EXPAND, Phase.MIGRATE], log_path=log)
    assert started.ok and started.status is MigrationStatus.PARTIAL, started.message
    conn.execute("UPDATE users SET name = 'old code, mid-way' WHERE id = 9")
    assert conn.execute("SELECT full_name FROM users WHERE id = 9").fetchone() == ("old code, mid-way",)
    conn.execute("UPDATE users SET full_name = 'user 9' WHERE id = 9")

    finished = apply_plan(plan, database_url, phases=[Phase.CONTRACT], log_path=log)
    assert finished.ok and finished.status is MigrationStatus.DONE, finished.message
    assert table_checksum(database_url, TABLE, ["id", "full_name"]) == names
    assert fingerprint(database_url) == plain_rename_fingerprint(admin_url, RENAME)
