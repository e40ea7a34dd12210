"""The seed document's migrations, end to end on the example database, through the real executor.

Why: the seed workflow is what zdt grew from, so its own SQL is the first thing zdt must get right. Each
migration, written the way a developer naively writes it, is planned against the live schema of the
"United We Rise" example (loaded with data), must pass the gate, and is applied by the real executor.
Then the test checks what a reviewer would: every step verified, the intended objects exist as
intended, no row of the existing data changed, and the statements that would have stopped traffic (an
index built without CONCURRENTLY, SET NOT NULL scanning under ACCESS EXCLUSIVE) were not run as written.

Each migration gets a fresh database with every earlier migration applied first, so a test can run
alone and still plans against the schema its predecessors left, as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.db_checks import table_checksum
from zdt.analysis.analyser import analyse_sql
from zdt.analysis.locks import LockMode
from zdt.analysis.model import StatementReport
from zdt.examples import BASE_ROWS, load_example
from zdt.executor import (
    ExecutionResult,
    MigrationStatus,
    StepStatus,
    apply_plan,
    migration_status,
    rollback_migration,
)
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import LockDuration, MigrationPlan
from zdt.recipes.planner import plan_sql
from zdt.schema.snapshot import SchemaSnapshot, TableInfo, introspect

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "examples" / "migrations"

# The seed migrations in the order the seed presents them (user_badges first, then its "United We Rise
# specific" section), and last the risky change written the naive way. Listed rather than globbed so
# that other example files do not silently join the chain.
SEED_MIGRATIONS = [
    "seed_user_badges.sql",
    "seed_uwr_01_elections_ballot_measures.sql",
    "seed_uwr_02_candidates_verification_status.sql",
    "seed_uwr_03_voting_record_sources.sql",
    "seed_uwr_04_feed_indexes.sql",
    "seed_uwr_05_payment_records_encrypted_details.sql",
    "seed_uwr_06_payment_audit_log.sql",
    "seed_uwr_07_users_reputation_not_null.sql",
]

SCALE = 0.05  # 1,000 users, 5,000 posts: enough rows for real scans, small enough for seconds per test

EXAMPLE_TABLES = [f"public.{name}" for name in BASE_ROWS]


@dataclass
class Applied:
    """One migration as planned (and stamped) and applied, with the schema on either side of it."""

    url: str
    plan: MigrationPlan
    naive: list[StatementReport]
    before: SchemaSnapshot
    after: SchemaSnapshot
    result: ExecutionResult

    def table(self, name: str) -> TableInfo:
        table = self.after.table(f"public.{name}")
        assert table is not None, f"public.{name} does not exist after {self.plan.id}"
        return table

    def scalar(self, query: str) -> object:
        with psycopg.connect(self.url) as conn:
            row = conn.execute(query.encode()).fetchone()
        assert row is not None
        return row[0]


def _snapshot(url: str) -> SchemaSnapshot:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def apply_migration(url: str, name: str, log_path: Path) -> Applied:
    """Plan ``name`` against the live schema, pass it through the gate, apply it with the executor."""
    sql_text = (MIGRATIONS_DIR / name).read_text()
    before = _snapshot(url)
    naive = analyse_sql(sql_text, source=name, snapshot=before)
    plan = plan_sql(sql_text, source=name, snapshot=before)
    assert check_plan(plan, before) == [], f"{name} did not pass the gate"
    plan = stamp(plan, before)
    result = apply_plan(plan, url, log_path=log_path)
    assert result.ok and result.status is MigrationStatus.DONE, f"{name}: {result.message}"
    return Applied(url, plan, naive, before, _snapshot(url), result)


def checksums(url: str, snapshot: SchemaSnapshot) -> dict[str, tuple[int, str]]:
    """Row count and digest of every example table over the columns it had when it was loaded."""
    return {
        table: table_checksum(url, table, list(snapshot.tables[table].columns)) for table in EXAMPLE_TABLES
    }


@dataclass
class Example:
    url: str
    loaded: SchemaSnapshot
    data: dict[str, tuple[int, str]]


@pytest.fixture
def example(database_url: str) -> Example:
    """The example database at test scale, with the checksums of its data as loaded."""
    load_example(database_url, scale=SCALE)
    loaded = _snapshot(database_url)
    return Example(database_url, loaded, checksums(database_url, loaded))


# --- what each migration must leave behind ---------------------------------------------------------


def _index(applied: Applied, table: str, name: str) -> str:
    """The index's definition, after checking it exists and is valid (a failed CONCURRENTLY is not)."""
    found = [index for index in applied.table(table).indexes if index.name == f"public.{name}"]
    assert len(found) == 1, f"{name} missing on {table}"
    assert found[0].valid, f"{name} is INVALID"
    return found[0].definition


def _concurrent_steps(applied: Applied) -> list[str]:
    """The SQL of every step that builds an index: each must be CONCURRENTLY and outside a transaction."""
    built = []
    for step in applied.plan.steps:
        for statement in step.sql:
            if "CREATE INDEX" in statement.upper():
                assert "CONCURRENTLY" in statement.upper(), statement
                assert not step.transactional, f"{step.id} would run CONCURRENTLY inside a transaction"
                assert step.lock is LockMode.SHARE_UPDATE_EXCLUSIVE, step.lock
                built.append(statement)
    return built


def expect_user_badges(applied: Applied) -> None:
    table = applied.table("user_badges")
    assert list(table.columns) == ["id", "user_id", "badge_type", "awarded_at", "awarded_by", "metadata"]
    assert table.columns["metadata"].default == "'{}'::jsonb"
    assert table.columns["user_id"].not_null and table.columns["badge_type"].type == "character varying(50)"
    assert sorted(fk.referenced_table for fk in table.foreign_keys) == ["public.users", "public.users"]
    assert all(fk.validated for fk in table.foreign_keys)
    assert "(user_id)" in _index(applied, "user_badges", "idx_user_badges_user_id")
    assert "(badge_type)" in _index(applied, "user_badges", "idx_user_badges_type")
    assert len(_concurrent_steps(applied)) == 2


def expect_ballot_measures(applied: Applied) -> None:
    column = applied.table("elections").columns["ballot_measures"]
    assert (column.type, column.default, column.not_null) == ("jsonb", "'[]'::jsonb", False)
    # Existing elections read the default without the table having been rewritten for it.
    assert applied.scalar("SELECT bool_and(ballot_measures = '[]'::jsonb) FROM elections") is True
    _added_without_rewrite(applied, "elections")


def expect_verification_status(applied: Applied) -> None:
    column = applied.table("candidates").columns["verification_status"]
    assert (column.type, column.default) == ("character varying(20)", "'pending'::character varying")
    assert applied.scalar("SELECT bool_and(verification_status = 'pending') FROM candidates") is True
    _added_without_rewrite(applied, "candidates")


def expect_voting_record_sources(applied: Applied) -> None:
    table = applied.table("voting_record_sources")
    assert list(table.columns) == ["id", "source_name", "api_endpoint", "last_updated"]
    assert table.columns["source_name"].not_null
    assert table.columns["api_endpoint"].type == "character varying(255)"
    assert table.columns["last_updated"].default == "CURRENT_TIMESTAMP"
    assert [index.primary and index.valid for index in table.indexes] == [True]


def expect_feed_indexes(applied: Applied) -> None:
    assert _index(applied, "posts", "idx_posts_feed_optimized") == (
        "CREATE INDEX idx_posts_feed_optimized ON public.posts USING btree "
        "(created_at DESC, visibility, author_id) "
        "WHERE (visibility = ANY (ARRAY['public'::text, 'friends'::text]))"
    )
    assert _index(applied, "user_relationships", "idx_user_relationships_feed") == (
        "CREATE INDEX idx_user_relationships_feed ON public.user_relationships USING btree "
        "(follower_id, created_at) WHERE (status = 'active'::text)"
    )
    # As written, each build holds SHARE on its table and every write to it waits until it finishes.
    assert [(r.lock, r.blocks_writes, r.transactional) for r in applied.naive] == [
        (LockMode.SHARE, True, True)
    ] * 2
    assert len(_concurrent_steps(applied)) == 2
    for step in applied.plan.steps:
        assert "CONCURRENTLY" in step.rollback.sql[0] and not step.rollback.transactional


def expect_encrypted_details(applied: Applied) -> None:
    column = applied.table("payment_records").columns["encrypted_details"]
    assert (column.type, column.default, column.not_null) == ("text", None, False)
    assert applied.scalar("SELECT count(encrypted_details) FROM payment_records") == 0
    _added_without_rewrite(applied, "payment_records")


def expect_payment_audit_log(applied: Applied) -> None:
    table = applied.table("payment_audit_log")
    assert list(table.columns) == ["id", "payment_id", "action", "changed_by", "changed_at", "change_details"]
    assert sorted((fk.columns[0], fk.referenced_table) for fk in table.foreign_keys) == [
        ("changed_by", "public.users"),
        ("payment_id", "public.payment_records"),
    ]
    assert all(fk.validated for fk in table.foreign_keys)
    assert "public.payment_audit_log" in applied.table("payment_records").referenced_by


def expect_reputation_not_null(applied: Applied) -> None:
    users = applied.table("users")
    assert users.columns["reputation"].not_null
    assert users.columns["reputation"].default == "0"
    # The helper CHECK (PostgreSQL < 18) is gone again: the only change is the NOT NULL itself.
    assert sorted(c.name for c in users.checks) == sorted(
        c.name for c in applied.before.tables["public.users"].checks
    )
    # As written: one scan of every row of users under ACCESS EXCLUSIVE (no reads, no writes, no logins).
    [naive] = applied.naive
    assert (naive.lock, naive.scans_table, naive.blocks_reads) == (LockMode.ACCESS_EXCLUSIVE, True, True)
    # As planned: the scan is a VALIDATE under SHARE UPDATE EXCLUSIVE, which lets reads and writes through.
    scans = [s for s in applied.plan.steps if any("VALIDATE CONSTRAINT" in sql for sql in s.sql)]
    assert len(scans) == 1 and scans[0].lock is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert not any(
        "SET NOT NULL" in sql and step.lock_duration is not LockDuration.BRIEF
        for step in applied.plan.steps
        for sql in step.sql
    )


def _added_without_rewrite(applied: Applied, table: str) -> None:
    """ADD COLUMN with a constant default is a catalog change since PostgreSQL 11: the step says so."""
    [naive] = applied.naive
    assert not naive.rewrites_table and not naive.scans_table, f"{table}: {naive}"
    assert [step.lock_duration for step in applied.plan.steps] == [LockDuration.BRIEF]


EXPECTATIONS: dict[str, Callable[[Applied], None]] = {
    "seed_user_badges.sql": expect_user_badges,
    "seed_uwr_01_elections_ballot_measures.sql": expect_ballot_measures,
    "seed_uwr_02_candidates_verification_status.sql": expect_verification_status,
    "seed_uwr_03_voting_record_sources.sql": expect_voting_record_sources,
    "seed_uwr_04_feed_indexes.sql": expect_feed_indexes,
    "seed_uwr_05_payment_records_encrypted_details.sql": expect_encrypted_details,
    "seed_uwr_06_payment_audit_log.sql": expect_payment_audit_log,
    "seed_uwr_07_users_reputation_not_null.sql": expect_reputation_not_null,
}


def _write_blocking(mode: LockMode | None) -> bool:
    return mode is not None and mode.blocks_writes


# --- the tests --------------------------------------------------------------------------------------


def test_the_seed_migrations_exist_and_sort_in_seed_order() -> None:
    on_disk = {path.name for path in MIGRATIONS_DIR.glob("*.sql")}
    assert set(SEED_MIGRATIONS) <= on_disk
    assert sorted(SEED_MIGRATIONS) == SEED_MIGRATIONS
    assert set(EXPECTATIONS) == set(SEED_MIGRATIONS)


@pytest.mark.parametrize("name", SEED_MIGRATIONS, ids=[name.removesuffix(".sql") for name in SEED_MIGRATIONS])
def test_seed_migration_is_planned_applied_and_verified_without_blocking_traffic(
    name: str, example: Example, tmp_path: Path
) -> None:
    log_path = tmp_path / "MIGRATION-LOG.md"
    for earlier in SEED_MIGRATIONS[: SEED_MIGRATIONS.index(name)]:
        apply_migration(example.url, earlier, log_path)

    applied = apply_migration(example.url, name, log_path)

    # Every planned step ran, in plan order, and was proven by its verification query.
    assert [s.step_id for s in applied.result.steps] == [s.id for s in applied.plan.steps]
    for step in applied.result.steps:
        assert step.ok and step.status is StepStatus.DONE, step
        assert step.message.startswith("verified"), step
    [record] = [r for r in migration_status(example.url) if r.id == applied.plan.id]
    assert record.status == "done" and {s.status for s in record.steps} == {"done"}
    assert applied.plan.id in log_path.read_text()
    assert applied.after.fingerprint() != applied.before.fingerprint()

    # No step holds a lock that stops writes for longer than a catalog change, and each waits for its
    # lock only as long as its lock_timeout (so it never queues traffic behind itself for long).
    for step in applied.plan.steps:
        assert step.timeouts.lock_timeout_ms > 0
        if _write_blocking(step.lock):
            assert step.lock_duration is LockDuration.BRIEF, f"{step.id} holds {step.lock} for a scan"
    # Whatever the naive script would have done that stops writes while it reads the table is gone.
    dangerous = [r for r in applied.naive if r.blocks_writes and (r.scans_table or r.rewrites_table)]
    planned = {sql.strip() for step in applied.plan.steps for sql in step.sql}
    assert not any(report.sql.strip() in planned for report in dangerous)

    # The data that was there is untouched: same rows, same values, in every example table.
    assert checksums(example.url, example.loaded) == example.data

    EXPECTATIONS[name](applied)


def test_rolling_back_the_last_seed_migration_restores_the_schema_before_it(
    example: Example, tmp_path: Path
) -> None:
    log_path = tmp_path / "MIGRATION-LOG.md"
    *earlier, last = SEED_MIGRATIONS
    for name in earlier:
        apply_migration(example.url, name, log_path)
    before_last = _snapshot(example.url).fingerprint()
    applied = apply_migration(example.url, last, log_path)
    assert applied.after.fingerprint() != before_last

    undone = rollback_migration(applied.plan, example.url, log_path=log_path)

    assert undone.ok and undone.schema_restored, undone.message
    assert undone.fingerprint_before == before_last
    assert _snapshot(example.url).fingerprint() == before_last
    assert not _snapshot(example.url).tables["public.users"].columns["reputation"].not_null
    [record] = [r for r in migration_status(example.url) if r.id == applied.plan.id]
    assert record.status == MigrationStatus.ROLLED_BACK.value
    assert checksums(example.url, example.loaded) == example.data
