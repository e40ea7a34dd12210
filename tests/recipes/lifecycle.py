"""What every recipe test proves, in one place: the risky statement is flagged, its plan passes the gate,
every forward statement analyses clean, the plan runs and verifies on a real server, and undoing it
restores the exact schema.

The tables are just over the analyser's small-table threshold (10,000 rows): below it, lock findings are
scaled down from error to warning, and the tests could no longer show why the recipe exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from tests.db_checks import fingerprint
from tests.recipes import harness
from zdt.analysis.analyser import analyse_script, analyse_sql, new_state
from zdt.analysis.model import Severity, StatementReport
from zdt.plan.check import check_plan
from zdt.plan.model import MigrationPlan, Phase, Step
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.schema import SchemaSnapshot, introspect

ROWS = 12_000
SETTINGS = PlannerSettings(batch_size=5_000, batch_pause_ms=0)

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
    """Plan ``sql`` against the database at ``url`` and check it: the gate must pass it as it is."""
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    plan = plan_sql(sql, snapshot=snapshot, settings=SETTINGS)
    problems = check_plan(plan, snapshot)
    assert problems == [], [str(problem) for problem in problems]
    for report in forward_reports(plan, snapshot):
        assert error_findings(report) == [], report.sql
    return Planned(plan, snapshot)


def steps_in(plan: MigrationPlan, *phases: Phase) -> list[Step]:
    return [step for step in plan.steps if step.phase in phases]


def apply_reversible_then_undo(url: str, plan: MigrationPlan) -> list[Step]:
    """Run the expand and migrate steps, then undo them in reverse: the schema must be exactly as before."""
    before = fingerprint(url)
    done = harness.apply(url, plan, (Phase.EXPAND, Phase.MIGRATE))
    assert fingerprint(url) != before
    harness.rollback(url, done)
    assert fingerprint(url) == before
    return done


def scalar(url: str, query: str, params: tuple[object, ...] = ()) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def run_step_reporting_debug(url: str, step: Step) -> list[str]:
    """Run a step's SQL with client_min_messages = debug1 and return the server's DEBUG messages.

    PostgreSQL says at DEBUG1 when a valid constraint spares SET NOT NULL its scan: the proof that a
    step really is scan-free, rather than the analyser's word for it.
    """
    messages: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(lambda diagnostic: messages.append(str(diagnostic.message_primary)))
        conn.execute("SET client_min_messages = debug1")
        with conn.transaction():
            for statement in step.sql:
                conn.execute(statement)
        conn.execute("RESET client_min_messages")
        value = conn.execute(step.verify.sql).fetchone()
    assert value is not None and value[0] == step.verify.expect, step.id
    return messages
