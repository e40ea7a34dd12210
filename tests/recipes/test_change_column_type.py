"""change-column-type: a rewriting ALTER COLUMN ... TYPE becomes a new column kept in sync by a trigger.

What is proven here, on a real server: the plan passes the gate on a table above the small-table
threshold; after expand and migrate, code using the old name and code using the new name both read and
write, each seeing the other's writes; writes through the old name during the backfill end up right;
the data is intact and the new values are the old ones cast; undoing expand and migrate restores the
exact schema; and the switch-over never breaks a session holding server-side prepared statements, while
the rename swap it avoids breaks every one of them (shown on this server).
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
from zdt.analysis.schema_copy import copy_schema
from zdt.db.scratch import scratch_database
from zdt.executor import EventKind, ExecutionEvent, MigrationStatus, apply_plan, rollback_migration
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import LockDuration, MigrationPlan, Phase
from zdt.recipes import _checks as checks
from zdt.recipes.base import PlannerSettings
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence, run_as_written
from zdt.schema import introspect

ROWS = 12_000  # above the analyser's small-table threshold, so the gate judges the plan at full severity
TABLE = "public.accounts"
CHANGE = "ALTER TABLE accounts ALTER COLUMN author_id TYPE bigint;"
NEW = "author_id_zdt_new"
UNTOUCHED = ["id", "note", "balance"]

SCHEMA = """
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    author_id integer NOT NULL DEFAULT 0,
    note text,
    balance numeric(12, 2)
);
INSERT INTO accounts
SELECT g, g % 1000, CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g END, g * 1.25
FROM generate_series(1, {rows}) g;
CREATE INDEX accounts_author_idx ON accounts (author_id);
CREATE INDEX accounts_recent_author_idx ON accounts (author_id, note) WHERE author_id > 10;
CREATE INDEX accounts_note_idx ON accounts (note);
ANALYZE accounts;
"""


def create_accounts(conn: psycopg.Connection, rows: int = ROWS) -> None:
    conn.execute(SCHEMA.format(rows=rows))


def test_the_plan_is_expand_migrate_contract_without_a_swap_and_passes_the_gate(
    conn: psycopg.Connection, database_url: str, server_version: int
) -> None:
    create_accounts(conn)
    planned = plan_against(database_url, CHANGE)  # asserts: gate clean, no forward statement in error
    plan = planned.plan

    (original,) = analyse_original(CHANGE, planned.snapshot)
    assert original.rewrites_table
    assert any("changing-column-type" in finding for finding in error_findings(original))

    assert {step.recipe for step in plan.steps} == {"change-column-type"}
    expand, migrate, contract = (steps_in(plan, phase) for phase in Phase)
    assert [step.id for step in expand] == [
        f"s01-add-{NEW}",
        "s01-sync-trigger",
        f"s01-{NEW}-{'not-null-not-valid' if server_version >= 18 else 'check-not-valid'}",
    ]
    not_null = (
        ["validate-not-null"] if server_version >= 18 else ["validate-check", "set-not-null", "drop-check"]
    )
    assert [step.id for step in migrate] == [
        "s01-backfill",
        "s01-vacuum",
        *(f"s01-{NEW}-{suffix}" for suffix in not_null),
        "s01-index-accounts_author_idx",
        "s01-index-accounts_recent_author_idx",
    ]
    assert [step.id for step in contract] == ["s01-drop-author_id"]
    backfill = plan.step("s01-backfill").backfill
    assert backfill is not None and backfill.key_column == "id"
    assert plan.step("s01-backfill").lock_duration is LockDuration.BATCHED
    # Steps that only wait for ShareUpdateExclusiveLock may wait past deadlock_timeout, which makes
    # PostgreSQL cancel an autovacuum in their way; application queries never queue behind them.
    for step in migrate:
        if step.id.endswith(("vacuum", "validate-not-null", "validate-check")) or "index" in step.id:
            assert step.timeouts.lock_timeout_ms >= 5_000, step.id
    assert "cached plan must not change result type" in contract[0].description
    assert contract[0].rollback.irreversible

    # No statement of the plan renames a column: the switch-over is not a swap.
    for step in plan.steps:
        for statement in step.sql:
            for raw in parser.parse_sql(statement):
                renames_column = (
                    isinstance(raw.stmt, ast.RenameStmt) and raw.stmt.renameType == ObjectType.OBJECT_COLUMN
                )
                assert not renames_column, statement


def test_both_names_work_during_the_transition_and_the_contract_keeps_the_data(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    create_accounts(conn)
    plan = plan_against(database_url, CHANGE).plan
    untouched = table_checksum(database_url, TABLE, UNTOUCHED)
    values = table_checksum(database_url, TABLE, ["id", "author_id"])

    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)
    # Before the backfill: rows not yet reached still hold the default in the new column, and code
    # writing only other columns brings them in sync (the trigger recomputes from the old column).
    conn.execute("UPDATE accounts SET note = note WHERE id = 7")
    assert conn.execute(f"SELECT {NEW} FROM accounts WHERE id = 7").fetchone() == (7,)
    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)

    # Old code writes the old name, new code the new name; each reads what the other wrote.
    conn.execute("INSERT INTO accounts (id, author_id, note) VALUES (-1, 41, 'old code')")
    conn.execute(f"INSERT INTO accounts (id, {NEW}, note) VALUES (-2, 42, 'new code')")
    conn.execute("INSERT INTO accounts (id, note) VALUES (-3, 'defaults')")
    conn.execute("UPDATE accounts SET author_id = 43 WHERE id = -2")
    conn.execute(f"UPDATE accounts SET {NEW} = 44 WHERE id = -1")
    rows = conn.execute(f"SELECT id, author_id, {NEW} FROM accounts WHERE id < 0 ORDER BY id").fetchall()
    assert rows == [(-3, 0, 0), (-2, 43, 43), (-1, 44, 44)]
    # A value the old column cannot hold is refused while old code may still read it.
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        conn.execute(f"UPDATE accounts SET {NEW} = 3000000000 WHERE id = -1")
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute(f"UPDATE accounts SET {NEW} = NULL WHERE id = -1")
    conn.execute("DELETE FROM accounts WHERE id < 0")
    assert scalar(database_url, f"SELECT count(*) FROM accounts WHERE {NEW} IS DISTINCT FROM author_id") == 0

    execute(database_url, plan, Phase.CONTRACT, log_dir=tmp_path)
    assert scalar(database_url, checks.column_absent(TABLE, "author_id")) is True
    assert scalar(database_url, checks.column_type_is(TABLE, NEW, "bigint")) is True
    assert scalar(database_url, checks.column_not_null_is(TABLE, NEW, True)) is True
    assert table_checksum(database_url, TABLE, UNTOUCHED) == untouched
    assert table_checksum(database_url, TABLE, ["id", NEW]) == values  # the same numbers, as bigint
    # The result is the schema the plain statement gives, under the column's new name.
    with (
        scratch_database(admin_url, prefix="zdt_plain") as plain_url,
        psycopg.connect(plain_url, autocommit=True) as plain,
    ):
        create_accounts(plain, rows=10)
        plain.execute(CHANGE)
        plain.execute(f"ALTER TABLE accounts RENAME COLUMN author_id TO {NEW}")
        assert fingerprint(database_url) == fingerprint(plain_url)


def test_rolling_back_expand_and_migrate_restores_the_exact_schema(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_accounts(conn)
    plan = plan_against(database_url, CHANGE).plan
    untouched = table_checksum(database_url, TABLE, [*UNTOUCHED, "author_id"])
    apply_reversible_then_undo(database_url, plan, tmp_path)  # asserts the fingerprint before == after
    assert table_checksum(database_url, TABLE, [*UNTOUCHED, "author_id"]) == untouched
    assert scalar(database_url, "SELECT count(*) FROM pg_proc WHERE starts_with(proname, 'zdt_')") == 0


def test_writes_through_the_old_name_during_the_backfill_end_up_in_the_new_column(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_accounts(conn)
    with psycopg.connect(database_url) as snapshot_conn:
        snapshot = introspect(snapshot_conn)
    plan = plan_sql(CHANGE, snapshot=snapshot, settings=PlannerSettings(batch_size=300, batch_pause_ms=0))
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
    assert backfill.backfill is not None and during_backfill > 0, during_backfill
    assert scalar(database_url, "SELECT count(*) FROM accounts WHERE id > %s", (ROWS,)) == writer.inserted
    mismatched = f"SELECT count(*) FROM accounts WHERE {NEW} IS DISTINCT FROM author_id::bigint"
    assert scalar(database_url, mismatched) == 0


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
                    conn.execute("UPDATE accounts SET author_id = author_id + 1 WHERE id = %s", (row,))
                    if step % 5 == 0:
                        conn.execute(
                            "INSERT INTO accounts (id, author_id, note) VALUES (%s, %s, 'during')",
                            (ROWS + step, step),
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


def test_prepared_statements_survive_the_whole_change(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """Old code holds prepared statements on the old name through expand and migrate; new code holds them
    on the new name through migrate and contract. None of them ever fails."""
    create_accounts(conn)
    plan = plan_against(database_url, CHANGE).plan
    with (
        psycopg.connect(database_url, autocommit=True) as old_code,
        psycopg.connect(database_url, autocommit=True) as new_code,
    ):
        old_code.execute("PREPARE old_read AS SELECT id, author_id FROM accounts WHERE id = $1")
        old_code.execute("PREPARE old_write AS UPDATE accounts SET author_id = $2 WHERE id = $1")
        old_code.execute("PREPARE old_star AS SELECT * FROM accounts WHERE id = $1")
        assert _old_client_round(old_code, 1) == (1, 1)
        old_code.execute("EXECUTE old_star(1)")

        execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)
        assert _old_client_round(old_code, 2) == (2, 2)
        # The one statement shape no expand/contract survives: SELECT * gains a column (documented).
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="cached plan must not change result"):
            old_code.execute("EXECUTE old_star(1)")

        new_code.execute(f"PREPARE new_read AS SELECT id, {NEW} FROM accounts WHERE id = $1")
        new_code.execute(f"PREPARE new_write AS UPDATE accounts SET {NEW} = $2 WHERE id = $1")
        assert _new_client_round(new_code, 3) == (3, 3)

        execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)
        assert _old_client_round(old_code, 4) == (4, 4)
        assert _new_client_round(new_code, 5) == (5, 5)
        # Each sees the other's writes.
        old_code.execute("EXECUTE old_write(6, 600)")
        assert new_code.execute("EXECUTE new_read(6)").fetchone() == (6, 600)
        new_code.execute("EXECUTE new_write(6, 601)")
        assert old_code.execute("EXECUTE old_read(6)").fetchone() == (6, 601)

        # The switch-over, once old code is gone: the new code's prepared statements keep working.
        execute(database_url, plan, Phase.CONTRACT, log_dir=tmp_path)
        assert _new_client_round(new_code, 7) == (7, 7)
        assert new_code.execute("EXECUTE new_read(6)").fetchone() == (6, 601)
        prepared = "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'new_%'"
        assert new_code.execute(prepared).fetchone() == (2,)  # the very statements prepared before
        # Had old code still been running, it would have failed by name, not by a changed type.
        with pytest.raises(psycopg.errors.UndefinedColumn):
            old_code.execute("EXECUTE old_read(1)")


def _old_client_round(client: psycopg.Connection, row: int) -> tuple[int, int] | None:
    """The old release's round trip on one row: write author_id, read it back; and a psycopg-prepared read."""
    client.execute(f"EXECUTE old_write({row}, {row})")
    for _ in range(3):
        client.execute("SELECT author_id FROM accounts WHERE id = %s", (row,), prepare=True)
    return client.execute(f"EXECUTE old_read({row})").fetchone()


def _new_client_round(client: psycopg.Connection, row: int) -> tuple[int, int] | None:
    client.execute(f"EXECUTE new_write({row}, {row})")
    for _ in range(3):
        client.execute(f"SELECT {NEW} FROM accounts WHERE id = %s", (row,), prepare=True)
    return client.execute(f"EXECUTE new_read({row})").fetchone()


def test_a_rename_swap_instead_would_break_every_prepared_statement(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """The trap the contract avoids, on this server: swap the columns by renaming, and a session holding a
    prepared statement on the column fails until it reconnects."""
    create_accounts(conn, rows=100)
    snapshot = introspect(conn)
    plan = stamp(plan_sql(CHANGE, snapshot=snapshot), snapshot)
    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    with psycopg.connect(database_url, autocommit=True) as client:
        client.execute("PREPARE read AS SELECT id, author_id FROM accounts WHERE id = $1")
        for _ in range(6):  # psycopg prepares server-side from the 5th execution on
            client.execute("SELECT author_id FROM accounts WHERE id = %s", (1,))
        assert client.execute("EXECUTE read(1)").fetchone() == (1, 1)

        conn.execute(
            "BEGIN; DROP TRIGGER zdt_sync_accounts_author_id ON accounts;"
            "ALTER TABLE accounts RENAME COLUMN author_id TO author_id_old;"
            f"ALTER TABLE accounts RENAME COLUMN {NEW} TO author_id; COMMIT"
        )
        with pytest.raises(
            psycopg.errors.FeatureNotSupported, match="cached plan must not change result type"
        ):
            client.execute("EXECUTE read(1)")
        with pytest.raises(
            psycopg.errors.FeatureNotSupported, match="cached plan must not change result type"
        ):
            client.execute("SELECT author_id FROM accounts WHERE id = %s", (1,))
    with psycopg.connect(database_url) as reconnected:  # only a new session gets past it
        assert reconnected.execute("SELECT author_id FROM accounts WHERE id = 1").fetchone() == (1,)


def test_using_expression_and_values_that_do_not_survive_the_copy_back(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    conn.execute(
        "CREATE TABLE items (id integer PRIMARY KEY, code text NOT NULL, price integer);"
        "INSERT INTO items SELECT g, ' ' || g, g FROM generate_series(1, 200) g; ANALYZE items"
    )
    url = database_url
    snapshot = introspect(conn)
    code_plan = plan_sql(
        "ALTER TABLE items ALTER COLUMN code TYPE integer USING trim(code)::integer;", snapshot=snapshot
    )
    assert check_plan(code_plan, snapshot) == []
    code_plan = stamp(code_plan, snapshot)
    execute(url, code_plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    assert scalar(url, "SELECT count(*) FROM items WHERE code_zdt_new <> id") == 0
    assert scalar(url, "SELECT code FROM items WHERE id = 5") == " 5"  # the old column is left as it was
    conn.execute("INSERT INTO items (id, code_zdt_new) VALUES (-1, 17)")
    assert conn.execute("SELECT code FROM items WHERE id = -1").fetchone() == ("17",)
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("INSERT INTO items (id, code) VALUES (-2, 'not a number')")
    execute(url, code_plan, Phase.CONTRACT, log_dir=tmp_path)

    snapshot = introspect(conn)
    price_plan = plan_sql("ALTER TABLE items ALTER COLUMN price TYPE numeric(10, 2);", snapshot=snapshot)
    price_plan = stamp(price_plan, snapshot)
    execute(url, price_plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    conn.execute("UPDATE items SET price_zdt_new = 7 WHERE id = 1")
    assert conn.execute("SELECT price FROM items WHERE id = 1").fetchone() == (7,)
    # 2.5 would reach old code as 3: the trigger refuses instead of storing a different value.
    with pytest.raises(psycopg.errors.DataException, match="does not survive the copy"):
        conn.execute("UPDATE items SET price_zdt_new = 2.5 WHERE id = 1")


def test_a_volatile_default_moves_to_the_new_column_at_the_contract(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """A volatile default on the new column would look to the trigger like a value new code wrote, so
    until the contract the old column's default fills both; then the new column takes it over."""
    conn.execute(
        "CREATE TABLE draws (id integer PRIMARY KEY, luck double precision NOT NULL DEFAULT random());"
        "INSERT INTO draws SELECT g, g / 1000.0 FROM generate_series(1, 200) g; ANALYZE draws"
    )
    snapshot = introspect(conn)
    plan = plan_sql("ALTER TABLE draws ALTER COLUMN luck TYPE numeric;", snapshot=snapshot)
    assert check_plan(plan, snapshot) == []
    plan = stamp(plan, snapshot)
    add = plan.step("s01-add-luck_zdt_new")
    assert add.sql == ["ALTER TABLE public.draws ADD COLUMN luck_zdt_new numeric"]
    assert "only from the contract on" in add.description
    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    conn.execute("INSERT INTO draws (id) VALUES (-1)")
    copied = conn.execute("SELECT luck_zdt_new = luck::numeric FROM draws WHERE id = -1").fetchone()
    assert copied == (True,)

    execute(database_url, plan, Phase.CONTRACT, log_dir=tmp_path)
    assert scalar(database_url, checks.column_has_default("public.draws", "luck_zdt_new", True)) is True
    conn.execute("INSERT INTO draws (id) VALUES (-2), (-3)")
    drawn = conn.execute("SELECT count(DISTINCT luck_zdt_new) FROM draws WHERE id IN (-2, -3)").fetchone()
    assert drawn == (2,)
    assert (
        scalar(
            database_url, "SELECT count(*) FROM draws WHERE luck_zdt_new::float8 <> id / 1000.0 AND id > 0"
        )
        == 0
    )


@pytest.mark.parametrize(
    ("setup", "statement", "refusal"),
    [
        (
            "CREATE VIEW account_authors AS SELECT id, author_id FROM accounts",
            CHANGE,
            r"views depend on public\.accounts \(public\.account_authors\)",
        ),
        (
            "ALTER TABLE accounts ADD CONSTRAINT author_positive CHECK (author_id >= 0)",
            CHANGE,
            r"CHECK constraint author_positive uses author_id",
        ),
        (
            "CREATE TABLE authors (id integer PRIMARY KEY);"
            "INSERT INTO authors SELECT g FROM generate_series(0, 999) g;"
            "ALTER TABLE accounts ADD CONSTRAINT accounts_author_fk "
            "FOREIGN KEY (author_id) REFERENCES authors",
            CHANGE,
            r"foreign key accounts_author_fk uses author_id",
        ),
        (
            "CREATE UNIQUE INDEX accounts_balance_key ON accounts (balance);"
            "CREATE TABLE payments "
            "(id integer PRIMARY KEY, amount numeric(12, 2) REFERENCES accounts (balance))",
            "ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14, 4);",
            r"foreign key payments_amount_fkey of public\.payments references balance",
        ),
        (
            "ALTER TABLE accounts ADD COLUMN doubled bigint GENERATED ALWAYS AS (author_id * 2) STORED",
            CHANGE,
            r"generated column doubled is computed from author_id",
        ),
        (
            "ALTER TABLE accounts DROP CONSTRAINT accounts_pkey",
            CHANGE,
            r"public\.accounts:? (it )?has no single-column primary key",
        ),
        ("", "ALTER TABLE accounts ALTER COLUMN id TYPE numeric;", r"id is part of the primary key"),
        (
            "",
            "ALTER TABLE accounts ALTER COLUMN author_id TYPE bigint USING author_id + length(note);",
            r"USING .* also reads note",
        ),
        (
            "",
            "ALTER TABLE accounts ALTER COLUMN author_id TYPE bigint USING author_id + (random() * 10)::int;",
            r"is volatile",
        ),
    ],
)
def test_what_it_cannot_carry_over_is_refused_by_name(
    conn: psycopg.Connection, setup: str, statement: str, refusal: str
) -> None:
    create_accounts(conn, rows=100)
    if setup:
        conn.execute(setup)
    with pytest.raises(PlanningError, match=refusal):
        plan_sql(statement, snapshot=introspect(conn))


def test_the_real_executor_runs_expand_and_migrate_and_rolls_them_back(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_accounts(conn)
    planned = plan_against(database_url, CHANGE)
    plan = stamp(planned.plan, planned.snapshot)
    before = fingerprint(database_url)
    untouched = table_checksum(database_url, TABLE, [*UNTOUCHED, "author_id"])
    log = tmp_path / "MIGRATION-LOG.md"

    result = apply_plan(plan, database_url, phases=[Phase.EXPAND, Phase.MIGRATE], log_path=log)
    assert result.ok and result.status is MigrationStatus.PARTIAL, result.message
    assert scalar(database_url, f"SELECT count(*) FROM accounts WHERE {NEW} IS DISTINCT FROM author_id") == 0
    assert scalar(database_url, checks.index_valid("public.accounts_author_idx_zdt")) is True

    undone = rollback_migration(plan, database_url, log_path=log)
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert fingerprint(database_url) == before
    assert table_checksum(database_url, TABLE, [*UNTOUCHED, "author_id"]) == untouched


ROLES = """
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'LAWYER');
CREATE TABLE "User" (id bigint PRIMARY KEY, role "Role" NOT NULL DEFAULT 'OWNER');
INSERT INTO "User" SELECT g, CASE WHEN g % 2 = 0 THEN 'OWNER'::"Role" ELSE 'ADMIN' END
FROM generate_series(1, 12000) g;
ANALYZE "User";
"""


def test_enum_to_enum_copies_back_through_text_and_keeps_a_default_dropped_earlier(
    conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """Prisma's first three statements of an enum swap: a new enum, DROP DEFAULT (the old default cannot
    be cast to it), the type change. The copy back from "Role_new" to "Role" goes through text (no enum
    casts to another), and the new column gets no default, as the file leaves the column."""
    conn.execute(ROLES)
    planned = plan_against(
        database_url,
        """CREATE TYPE "Role_new" AS ENUM ('OWNER', 'ADMIN');
        ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
        ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");""",
    )
    added = next(step for step in planned.plan.steps if step.id == "s03-add-role_zdt_new")
    assert "DEFAULT" not in added.sql[0]
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path / "proof", server_url=admin_url
    ).proven
    execute(database_url, planned.plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    with psycopg.connect(database_url, autocommit=True) as app:
        app.execute("""UPDATE "User" SET role_zdt_new = 'ADMIN' WHERE id = 2""")  # the new release
        app.execute("""INSERT INTO "User" (id, role) VALUES (12001, 'OWNER')""")  # the old release
    assert scalar(database_url, """SELECT role::text FROM "User" WHERE id = 2""") == "ADMIN"
    assert scalar(database_url, """SELECT role_zdt_new::text FROM "User" WHERE id = 12001""") == "OWNER"


SORTS = """
CREATE TABLE prefs (id bigint PRIMARY KEY, sort smallint NOT NULL DEFAULT 0, note varchar(20) DEFAULT 'x');
INSERT INTO prefs SELECT g, g % 3, 'n' || g FROM generate_series(1, 200) g;
CREATE TYPE sort_kind AS ENUM ('Active', 'Hot', 'New');
ANALYZE prefs;
"""
TO_ENUM = (
    "ALTER TABLE prefs ALTER COLUMN sort TYPE sort_kind "
    "USING CASE sort WHEN 0 THEN 'Active' WHEN 1 THEN 'Hot' ELSE 'New' END::sort_kind;"
)


def _proven(
    conn: psycopg.Connection, database_url: str, admin_url: str, sql: str, log_dir: Path
) -> MigrationPlan:
    snapshot = introspect(conn)
    plan = stamp(plan_sql(sql, snapshot=snapshot), snapshot)
    proof = prove_equivalence(plan, schema_from=database_url, log_dir=log_dir, server_url=admin_url)
    assert proof.proven, proof.summary()
    return plan


@pytest.mark.parametrize(
    "created",
    ["", "CREATE TYPE sort_kind_2 AS ENUM ('Active', 'Hot', 'New');\n"],
    ids=["enum-in-the-catalog", "enum-of-the-file"],
)
def test_a_default_the_file_dropped_before_the_type_change_stays_dropped(
    created: str, conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """lemmy 2023-04-14-175955_add_listingtype_sorttype_enums: DROP DEFAULT, then a change to an enum
    (no cast of the old default 0 to it exists). The new column gets no default: the file dropped it."""
    conn.execute(SORTS)
    change = TO_ENUM.replace("sort_kind", "sort_kind_2") if created else TO_ENUM
    sql = created + "ALTER TABLE prefs ALTER COLUMN sort DROP DEFAULT;\n" + change
    plan = _proven(conn, database_url, admin_url, sql, tmp_path)
    (add,) = [step for step in plan.steps if step.id.endswith("-add-sort_zdt_new")]
    assert add.sql == [
        f"ALTER TABLE public.prefs ADD COLUMN sort_zdt_new {'sort_kind_2' if created else 'sort_kind'}"
    ]


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE prefs ALTER COLUMN sort TYPE bigint;",
        "ALTER TABLE prefs ALTER COLUMN sort TYPE text;",  # an assignment cast through text I/O
        "ALTER TABLE prefs ALTER COLUMN note TYPE varchar(10);",
    ],
)
def test_a_default_kept_through_a_type_change_ends_as_alter_type_leaves_it(
    change: str, conn: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    """ALTER COLUMN TYPE converts the default by an assignment cast; ADD COLUMN ... DEFAULT of the old
    expression does the same, and the catalog shows the two alike (checked by the proof's schema)."""
    conn.execute(SORTS)
    plan = _proven(conn, database_url, admin_url, change, tmp_path)
    (add,) = [step for step in plan.steps if step.id.endswith("_zdt_new") and "-add-" in step.id]
    assert " DEFAULT " in add.sql[0]


@pytest.mark.parametrize(
    "created",
    ["", "CREATE TYPE sort_kind_2 AS ENUM ('Active', 'Hot', 'New');\n"],
    ids=["enum-in-the-catalog", "enum-of-the-file"],
)
def test_a_default_that_cannot_be_cast_to_the_enum_is_refused_as_postgresql_refuses_it(
    created: str, conn: psycopg.Connection, database_url: str, admin_url: str
) -> None:
    conn.execute(SORTS)
    sql = created + (TO_ENUM.replace("sort_kind", "sort_kind_2") if created else TO_ENUM)
    with pytest.raises(
        PlanningError, match=r"line \d: .*the default of sort \(0\) cannot be cast .* DROP DEFAULT"
    ):
        plan_sql(sql, snapshot=introspect(conn))
    with scratch_database(admin_url, prefix="zdt_enum_default") as url:
        copy_schema(database_url, url)
        failure = run_as_written(sql, url)
    assert failure is not None and "cannot be cast automatically" in failure
