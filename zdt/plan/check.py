"""The plan gate: a plan runs only if every step is analysed clean, verifiable and (before contract)
reversible, and every statement passes the SQL policy, every function it calls known safe
(``zdt.policy.functions``: pg_catalog's built-ins as the server's pg_proc declares them, the plan's and
the schema's own SQL and PL/pgSQL functions read through, never an escape hatch). A plan that passes
is stamped with its hash; the executor refuses a plan whose content no longer matches the stamp.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pglast import ast

from zdt.analysis import names
from zdt.analysis.analyser import analyse_script, new_state
from zdt.analysis.model import Severity
from zdt.analysis.source import SqlSyntaxError, parse_statements
from zdt.analysis.state import MigrationState
from zdt.plan.model import MigrationPlan, Phase, Step
from zdt.policy import FunctionCatalogue, PolicyViolation, check_script
from zdt.schema.snapshot import SchemaSnapshot


@dataclass(frozen=True)
class PlanProblem:
    """Why a plan may not run, naming the step and, where known, the file and line it came from."""

    step_id: str
    message: str
    where: str = ""  # "migrations/002_b.sql line 3", "line 3", or "" when the step has no source

    def __str__(self) -> str:
        located = f" ({self.where})" if self.where else ""
        return f"{self.step_id}{located}: {self.message}"


class PlanRejected(Exception):
    def __init__(self, problems: list[PlanProblem]) -> None:
        super().__init__("the plan did not pass its checks:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class PlanTampered(Exception):
    """The plan's content changed after it was checked."""


def check_plan(plan: MigrationPlan, snapshot: SchemaSnapshot | None = None) -> list[PlanProblem]:
    """Every reason the plan may not run; an empty list means it may."""
    problems: list[PlanProblem] = []
    state = new_state(pg_version=plan.pg_version, snapshot=snapshot)
    files = {step_id: migration.path for migration in plan.migrations for step_id in migration.steps}
    functions = FunctionCatalogue.for_plan(snapshot, _created_functions(plan))
    for step in plan.steps:
        found = [
            *_check_step_shape(step),
            *_check_policy(step, functions),
            *_check_backfill_shape(step),
            *_analyse_step(step, state),
        ]
        where = _where(step, files.get(step.id))
        problems.extend(replace(problem, where=where) for problem in found)
    return problems


def _where(step: Step, path: str | None) -> str:
    """The step's origin for a message: file and line, or what of them is known."""
    line = f"line {step.source_line}" if step.source_line is not None else ""
    return " ".join(part for part in (path or "", line) if part)


def _check_step_shape(step: Step) -> list[PlanProblem]:
    problems = []
    if not step.verify.sql.strip():
        problems.append(PlanProblem(step.id, "has no verification query"))
    if step.phase in (Phase.EXPAND, Phase.MIGRATE) and not step.rollback.is_reversible:
        reason = step.rollback.irreversible
        problems.append(PlanProblem(step.id, f"{step.phase} steps must be reversible (this one: {reason})"))
    if not step.transactional and len(step.sql) > 1:
        problems.append(PlanProblem(step.id, "a step outside a transaction must hold a single statement"))
    return problems


def _created_functions(plan: MigrationPlan) -> list[ast.CreateFunctionStmt]:
    """The functions the plan creates: a call to one is judged by its body, as the gate reads it."""
    created = []
    for step in plan.steps:
        for sql in step.sql:
            try:
                statements = parse_statements(sql)
            except SqlSyntaxError:
                continue  # the policy check reports it
            created += [s.node for s in statements if isinstance(s.node, ast.CreateFunctionStmt)]
    return created


def _check_policy(step: Step, functions: FunctionCatalogue) -> list[PlanProblem]:
    """Forward SQL under its phase's rules; rollback may undo anything; verification is a single query.
    Every function any of them calls must be known safe (``functions``)."""
    phase = {"phase": step.phase.value, "functions": functions}
    undo = {"phase": Phase.CONTRACT.value, "functions": functions}
    checks: list[tuple[str, dict[str, Any], str]] = [(sql, phase, "") for sql in step.sql]
    checks += [(sql, undo, "rollback: ") for sql in step.rollback.sql]
    checks += [(sql, undo, "on failure: ") for sql in step.on_failure_sql]
    checks.append(
        (
            step.verify.sql,
            {"read_only": True, "single_statement": True, "functions": functions},
            "verification: ",
        )
    )
    if step.backfill is not None:
        single = {**phase, "single_statement": True}
        checks.append((backfill_batch_sql(step), single, "backfill: "))
        keep = backfill_keep_sql(step)
        if keep is not None:
            checks.append((keep, single, "backfill keeps: "))
    problems = []
    for sql, options, label in checks:
        try:
            check_script(sql, **options)
        except (PolicyViolation, SqlSyntaxError) as error:
            problems.append(PlanProblem(step.id, f"{label}{error}"))
    return problems


def backfill_batch_sql(step: Step) -> str:
    """One batch of the step's backfill as the executor runs it, for the policy and the parser to judge:
    the SET, FROM and WHERE fragments must not smuggle in anything but one UPDATE (or DELETE) of the
    named table."""
    backfill = step.backfill
    assert backfill is not None
    key = backfill.key_sql()
    return backfill.statement_sql(bounds=f"{key} > 0 AND {key} <= 1")


def backfill_keep_sql(step: Step) -> str | None:
    """The INSERT a batch runs first to keep the old values (None when it keeps none), as judged."""
    backfill = step.backfill
    assert backfill is not None
    key = backfill.key_sql()
    return backfill.keep_sql(bounds=f"{key} > 0 AND {key} <= 1")


def _check_backfill_shape(step: Step) -> list[PlanProblem]:
    """A batch must parse as exactly one UPDATE (one DELETE, for a deleting backfill) of its table, and
    what it keeps of the old values as one INSERT into zdt's own schema."""
    backfill = step.backfill
    if backfill is None:
        return []
    problems = _check_keep_shape(step)
    try:
        statements = parse_statements(backfill_batch_sql(step))
    except SqlSyntaxError:
        return problems  # the policy check reports it
    kind, verb = (ast.DeleteStmt, "DELETE") if backfill.delete else (ast.UpdateStmt, "UPDATE")
    node = statements[0].node if len(statements) == 1 else None
    if (
        not isinstance(node, kind)
        or node.relation is None
        or names.of_range_var(node.relation) != backfill.table
        or node.returningClause
        or node.withClause
    ):
        problems.append(
            PlanProblem(step.id, f"backfill: a batch must be one {verb} of {backfill.table}, nothing else")
        )
    return problems


def _check_keep_shape(step: Step) -> list[PlanProblem]:
    keep = backfill_keep_sql(step)
    if keep is None:
        return []
    try:
        statements = parse_statements(keep)
    except SqlSyntaxError:
        return []  # the policy check reports it
    node = statements[0].node if len(statements) == 1 else None
    kept = step.backfill.keep_old if step.backfill else None
    if (
        not isinstance(node, ast.InsertStmt)
        or node.relation is None
        or node.relation.schemaname != "zdt"
        or kept is None
        or names.of_range_var(node.relation) != kept.table
        or node.returningClause
        or node.withClause
    ):
        return [
            PlanProblem(step.id, "backfill: old values are kept by one INSERT into a table of schema zdt")
        ]
    return []


def _analyse_step(step: Step, state: MigrationState) -> list[PlanProblem]:
    """Analyse the step as the executor runs it: under lock_timeout, in or out of a transaction."""
    if not step.sql:
        return []
    problems = []
    script = ";\n".join(step.sql)
    wrapped = f"SET lock_timeout = '{step.timeouts.lock_timeout_ms}ms';\n"
    wrapped += f"BEGIN;\n{script};\nCOMMIT;" if step.transactional and len(step.sql) > 1 else f"{script};"
    try:
        reports = analyse_script(wrapped, state, source=step.id)
    except SqlSyntaxError as error:
        return [PlanProblem(step.id, str(error))]
    for report in reports:
        if not report.transactional and step.transactional:
            problems.append(PlanProblem(step.id, f"{report.kind} cannot run inside a transaction"))
        for finding in report.findings:
            if finding.severity is Severity.ERROR:
                problems.append(PlanProblem(step.id, f"[{finding.rule}] {finding.message}; {finding.fix}"))
    return problems


def stamp(plan: MigrationPlan, snapshot: SchemaSnapshot | None = None) -> MigrationPlan:
    """Check the plan and return it stamped with its content hash; raise PlanRejected otherwise."""
    problems = check_plan(plan, snapshot)
    if problems:
        raise PlanRejected(problems)
    return plan.model_copy(update={"checked_hash": plan.content_hash()})


def for_a_copy(plan: MigrationPlan) -> MigrationPlan:
    """The plan as run on a copy of its database (a rehearsal, a scratch copy, staging), stamped again.

    The copy is another database, often on another server version, so the target's schema fingerprint
    would refuse it; the content is otherwise unchanged. Not for the target: the gate is not run again.
    """
    unbound = plan.model_copy(update={"schema_fingerprint": None})
    return unbound.model_copy(update={"checked_hash": unbound.content_hash()})


def ensure_unchanged(plan: MigrationPlan) -> None:
    """Refuse a plan that was never checked or was edited after its check."""
    if plan.checked_hash is None:
        raise PlanTampered(f"plan {plan.id} was never checked: run it through the gate first")
    actual = plan.content_hash()
    if actual != plan.checked_hash:
        raise PlanTampered(
            f"plan {plan.id} changed after it was checked (hash {actual[:12]} != {plan.checked_hash[:12]}): "
            "re-plan or re-check it"
        )
