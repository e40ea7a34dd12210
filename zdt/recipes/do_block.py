"""DO blocks run as one reviewed contract step, after zdt has read every statement inside them.

A DO block is a PL/pgSQL program: the server sees one statement, but what it locks is decided by the
statements it runs. zdt parses the body with PostgreSQL's PL/pgSQL parser (zdt.analysis.plpgsql),
collects every SQL statement and expression in it (``EXECUTE`` of a string constant included) and
analyses each, in order, as running in one transaction under lock_timeout: the step's lock is the
strongest any of them takes, and its description names the statements, their tables and locks. What
the analyser would flag as an error on its own (a plain CREATE INDEX on a live table, a table rewrite)
is refused here too, naming the finding and its line: wrapping it in DO does not make it safe.
``EXECUTE`` of SQL built at run time (``format(...)``, variables, concatenation) is refused: the lock it
takes is unknown. So are blocks that commit themselves (COMMIT / ROLLBACK inside), statements that
cannot run in a transaction, and languages other than PL/pgSQL.

Contract, because zdt cannot undo a program generically: whatever it changed stays changed, so it runs
once the new release is out, like every other step without a rollback.

start:    the DO block as written, in one transaction, under lock_timeout; lock: the strongest of its
          statements'.
verify:   none beyond the block's own success: SELECT true (the block raises, and the transaction rolls
          back, if any statement in it fails).
rollback: irreversible, saying why; to get a rollback, write the statements out as plain SQL, where
          each gets its recipe.
"""

from __future__ import annotations

import copy

from pglast import ast

from zdt.analysis.analyser import analyse_statement
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Severity, StatementReport
from zdt.analysis.plpgsql import EmbeddedSql, PlpgsqlError, do_block_code, read_do_block
from zdt.analysis.source import ParsedStatement
from zdt.analysis.state import MigrationState
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample
from zdt.recipes.errors import PlanningError

CANNOT_UNDO = (
    "a DO block is a program zdt cannot undo generically: write its statements out as plain SQL to get "
    "a rollback for each, or restore from backup"
)


class DoBlock(Recipe):
    id = "do-block"
    summary = "Run a DO block as one contract step, once every statement in it is read and analysed."
    examples = (
        RecipeExample(
            title="a one-off data fix with a condition",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL);
                ANALYZE posts, settings;
            """,
            sql="""
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM settings WHERE name = 'front_page') THEN
                        INSERT INTO settings (name, value) VALUES ('front_page', 'latest');
                    END IF;
                    UPDATE posts SET title = 'Welcome' WHERE id = 1;
                END
                $$;
            """,
            plan="""
                contract s01-do (irreversible)
                    DO $$ … $$
            """,
            old_queries=("SELECT id, title FROM posts WHERE id = 1", "SELECT value FROM settings"),
            new_queries=("SELECT value FROM settings WHERE name = 'front_page'",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return isinstance(context.node, ast.DoStmt)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.DoStmt)
        statement = context.statement
        first_line = _body_line(statement.sql, do_block_code(node)[1], statement.line)
        try:
            body = read_do_block(node)
        except PlpgsqlError as error:
            raise PlanningError(f"line {statement.line}: zdt cannot analyse this DO block: {error}") from None
        if body.run_time:
            built = body.run_time[0]
            raise PlanningError(
                f"line {first_line + built.line - 1}: the DO block runs SQL built at run time (EXECUTE "
                f"{built.expression}): the lock it takes is unknown; write the statements out, or EXECUTE "
                "string constants"
            )
        if body.transaction_control:
            raise PlanningError(
                f"line {first_line + body.transaction_control[0] - 1}: the DO block commits or rolls back "
                "itself: zdt runs every step in a transaction of its own; split it into statements"
            )
        state = _inside_the_block(context.state)
        analysed: list[tuple[EmbeddedSql, StatementReport]] = []
        for item in body.embedded:
            line = first_line + item.line - 1
            embedded = ParsedStatement(statement.index, line, item.sql, item.node, statement.ignored_rules)
            report = analyse_statement(embedded, state)
            _refuse_what_the_analyser_refuses(report, line)
            analysed.append((item, report))
        locks: dict[str, LockMode] = {}
        for _, report in analysed:
            for taken in report.locks:
                held = locks.get(taken.relation)
                if held is None or taken.mode.strength > held.strength:
                    locks[taken.relation] = taken.mode
        lock = LockMode.strongest(list(locks.values()))
        reports = [report for _, report in analysed]
        duration = LockDuration.BRIEF if lock else LockDuration.NONE
        if any(report.rewrites_table for report in reports):
            duration = LockDuration.REWRITE
        elif any(report.scans_table and (report.blocks_writes or report.blocks_reads) for report in reports):
            duration = LockDuration.SCAN
        return [
            context.step(
                "do",
                phase=Phase.CONTRACT,
                description=_description(analysed),
                sql=[statement.sql],
                transactional=True,
                verify=Verification(sql="SELECT true", description="the block ran to its end"),
                rollback=Rollback(irreversible=CANNOT_UNDO),
                lock=lock,
                lock_duration=duration,
                tables=list(locks),
                recipe=self.id,
            )
        ]


def _body_line(sql: str, body: str, line: int) -> int:
    """The file line the body starts on: PL/pgSQL numbers the body's lines from 1."""
    offset = sql.find(body)
    return line + (sql[:offset].count("\n") if offset >= 0 else 0)


def _inside_the_block(state: MigrationState) -> MigrationState:
    """A copy of the planner's state as the block's statements see it: in one transaction (the step's),
    under lock_timeout. A copy, so that the statements after the block are planned, as the gate checks
    them, without what the block did (the gate sees one DO statement)."""
    inside = copy.deepcopy(state, memo={id(state.snapshot): state.snapshot})
    inside.in_transaction = True
    inside.lock_timeout_set = True
    return inside


def _refuse_what_the_analyser_refuses(report: StatementReport, line: int) -> None:
    what = f"line {line}: the DO block runs {report.kind} ({_short(report.sql)})"
    if not report.transactional:
        raise PlanningError(f"{what}, which cannot run inside a transaction, as a DO block does")
    errors = [finding for finding in report.findings if finding.severity is Severity.ERROR]
    if errors:
        finding = errors[0]
        raise PlanningError(
            f"{what}: [{finding.rule}] {finding.message}; a DO block does not make it safe: {finding.fix}"
        )


def _description(analysed: list[tuple[EmbeddedSql, StatementReport]]) -> str:
    parts: list[str] = []
    for item, report in analysed:
        if item.source == "expression" and not report.locks:
            continue
        on = ", ".join(f"{taken.relation} ({taken.mode})" for taken in report.locks)
        parts.append(f"{report.kind}" + (f" on {on}" if on else ""))
    runs = "; ".join(dict.fromkeys(parts)) if parts else "no SQL statement"
    return (
        f"run the DO block as one step, in one transaction: it runs {runs}; it cannot be undone, hence "
        "contract"
    )


def _short(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) < 70 else flat[:69] + "…"
