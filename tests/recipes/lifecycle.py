"""What every recipe test proves, in one place: the risky statement is flagged, its plan passes the gate,
every forward statement analyses clean, the plan runs and verifies on a real server, and undoing it
restores the exact schema. Plans run through the real executor (``apply_plan``, ``rollback_migration``),
with the migration log under the test's tmp_path.

The tables are just over the analyser's small-table threshold (10,000 rows): below it, lock findings are
scaled down from error to warning, and the tests could no longer show why the recipe exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.db_checks import fingerprint
from zdt.analysis.analyser import analyse_script, analyse_sql, new_state
from zdt.analysis.model import Severity, StatementReport
from zdt.executor import (
    LOG_NAME,
    EventCallback,
    EventKind,
    ExecutionEvent,
    ExecutionResult,
    ExecutorSettings,
    RollbackResult,
    apply_plan,
    rollback_migration,
)
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import MigrationPlan, Phase, Step
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.schema import SchemaSnapshot, introspect

ROWS = 12_000
SETTINGS = PlannerSettings(batch_size=5_000, batch_pause_ms=0)
# The executor as an operator runs it, without the pause between backfill batches a busy database needs.
EXECUTOR = ExecutorSettings(batch_pause_ms=0)

POSTS_SCHEMA = """
CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, 100) g;
CREATE TABLE posts (
    id bigint PRIMARY KEY,
    author_id bigint,
    title text,
    body text,
    score integer NOT NULL DEFAULT 0
);
INSERT INTO posts
SELECT g, 1 + g % 100, 'title ' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE repeat('x', g % 50) END, g % 7
FROM generate_series(1, {rows}) g;
CREATE INDEX posts_title_idx ON posts (title);
ANALYZE;
"""

POSTS_COLUMNS = ["id", "author_id", "title", "body", "score"]


def create_posts(conn: psycopg.Connection, rows: int = ROWS) -> None:
    """authors (100 rows) and posts (``rows`` rows, some NULL bodies), analysed so the snapshot sees sizes."""
    conn.execute(POSTS_SCHEMA.format(rows=rows))


def error_findings(report: StatementReport) -> list[str]:
    return [f"[{f.rule}] {f.message}" for f in report.findings if f.severity is Severity.ERROR]


def analyse_original(sql: str, snapshot: SchemaSnapshot) -> list[StatementReport]:
    """The risky statement as a developer would run it (under lock_timeout, so only its cost shows)."""
    return analyse_sql(f"SET lock_timeout = '200ms';\n{sql}", snapshot=snapshot)[1:]


def forward_reports(plan: MigrationPlan, snapshot: SchemaSnapshot) -> list[StatementReport]:
    """Every forward statement of the plan analysed in order, each step as the executor runs it."""
    state = new_state(pg_version=plan.pg_version, snapshot=snapshot)
    reports: list[StatementReport] = []
    for step in plan.steps:
        for statement in step.sql:
            script = f"SET lock_timeout = '{step.timeouts.lock_timeout_ms}ms';\n{statement};"
            reports.extend(analyse_script(script, state, source=step.id)[1:])
    return reports


@dataclass
class Planned:
    plan: MigrationPlan
    snapshot: SchemaSnapshot


def plan_against(url: str, sql: str) -> Planned:
    """Plan ``sql`` against the database at ``url`` and check it: the gate must pass it as it is.

    The plan comes back stamped by the gate, ready for the executor.
    """
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    plan = plan_sql(sql, snapshot=snapshot, settings=SETTINGS)
    problems = check_plan(plan, snapshot)
    assert problems == [], [str(problem) for problem in problems]
    for report in forward_reports(plan, snapshot):
        assert error_findings(report) == [], report.sql
    return Planned(stamp(plan, snapshot), snapshot)


def steps_in(plan: MigrationPlan, *phases: Phase) -> list[Step]:
    return [step for step in plan.steps if step.phase in phases]


def past_the_gate(plan: MigrationPlan) -> MigrationPlan:
    """``plan`` stamped although the gate refuses it, for a test showing what its steps would do if run
    anyway. Only tests may do this: the stamp is how the executor knows the gate passed a plan."""
    return plan.model_copy(update={"checked_hash": plan.content_hash()})


def run_plan(
    url: str,
    plan: MigrationPlan,
    *phases: Phase,
    log_dir: Path,
    on_event: EventCallback | None = None,
) -> ExecutionResult:
    """Apply the plan's steps in ``phases`` (all of them if none are given) with the real executor.

    A run that stops at a failing step is not an error here: the result says which step and why.
    """
    return apply_plan(
        plan,
        url,
        phases=phases or None,
        settings=EXECUTOR,
        on_event=on_event,
        log_path=log_dir / LOG_NAME,
    )


def execute(
    url: str,
    plan: MigrationPlan,
    *phases: Phase,
    log_dir: Path,
    on_event: EventCallback | None = None,
) -> ExecutionResult:
    """:func:`run_plan`, which must go through: every step it ran applied and verified."""
    result = run_plan(url, plan, *phases, log_dir=log_dir, on_event=on_event)
    assert result.ok, result.message
    return result


def undo(url: str, plan: MigrationPlan, log_dir: Path) -> RollbackResult:
    """Roll back every step the executor ran of ``plan``, last first; the executor checks the schema."""
    result = rollback_migration(plan, url, settings=EXECUTOR, log_path=log_dir / LOG_NAME)
    assert result.ok, result.message
    return result


def assert_stopped_at(result: ExecutionResult, step: Step, error: type[psycopg.Error]) -> None:
    """The run stopped at ``step``, which failed with ``error`` (or a subclass), the database as before it."""
    assert not result.ok and result.failed_step == step.id, result.message
    failed = result.steps[-1]
    assert failed.step_id == step.id and failed.database_restored, failed.message
    match = re.search(r"\b(\w+) \(([0-9A-Z]{5})\)", failed.message)
    assert match is not None, failed.message
    assert issubclass(psycopg.errors.lookup(match.group(2)), error), failed.message


def before_step(step: Step, action: Callable[[], object]) -> EventCallback:
    """An observer that runs ``action`` as the executor is about to start ``step``.

    The executor calls observers synchronously and only where nothing is half-done, so ``action`` sees
    the database exactly as the steps before ``step`` left it: a test's application traffic, or a look
    at the database between two steps of one phase.
    """

    def observe(event: ExecutionEvent) -> None:
        if event.kind is EventKind.STEP_STARTED and event.step_id == step.id:
            action()

    return observe


def apply_reversible_then_undo(url: str, plan: MigrationPlan, log_dir: Path) -> ExecutionResult:
    """Run the expand and migrate steps, then undo them in reverse: the schema must be exactly as before."""
    before = fingerprint(url)
    done = execute(url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=log_dir)
    assert fingerprint(url) != before
    undo(url, plan, log_dir)
    assert fingerprint(url) == before
    return done


def scalar(url: str, query: str, params: tuple[object, ...] = ()) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def debug_messages_of(url: str, step: Step) -> list[str]:
    """Run a step's SQL with client_min_messages = debug1, in a transaction rolled back at the end, and
    return the server's DEBUG messages.

    PostgreSQL says at DEBUG1 when a valid constraint spares SET NOT NULL its scan: the proof that a
    step really is scan-free, rather than the analyser's word for it. Nothing is left behind: the
    executor runs the step for real afterwards.
    """
    messages: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(lambda diagnostic: messages.append(str(diagnostic.message_primary)))
        conn.execute("SET client_min_messages = debug1")
        with conn.transaction(force_rollback=True):
            for statement in step.sql:
                conn.execute(statement)
            value = conn.execute(step.verify.sql).fetchone()
        conn.execute("RESET client_min_messages")
    assert value is not None and value[0] == step.verify.expect, step.id
    return messages
