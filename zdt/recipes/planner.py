"""The deterministic planner: SQL in, a phased plan of safe steps out.

It drops the script's own transaction control and timeout settings (the executor owns both), splits
multi-command ALTER TABLE statements so each change gets its own recipe, analyses every statement in
order, and asks the first matching recipe for steps. Steps are then ordered by phase — every expand
step before any migrate step before any contract step — keeping statement order within a phase and
never moving a statement ahead of an earlier one about the same object (``zdt.plan.ordering``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence

from pglast import ast, parser
from pglast.stream import maybe_double_quote_name

from zdt.analysis import names
from zdt.analysis.analyser import analyse_statement, new_state
from zdt.analysis.fields import ParseTreeShapeError, required
from zdt.analysis.object_keys import Key, ObjectKeys, ViewColumns, describe, object_keys
from zdt.analysis.parse_tree import CatalogueTextError
from zdt.analysis.source import ParsedStatement, parse_statements
from zdt.analysis.state import MigrationState
from zdt.plan.model import FolderMigration, MigrationPlan
from zdt.plan.ordering import PlannedStatement, order_steps
from zdt.plan.wal_volume import backfill_wal_notes
from zdt.recipes import PlannerSettings, PlanningContext, recipe_for
from zdt.recipes._versions import VersionShapes, add_versions, version_for
from zdt.recipes.base import deparse
from zdt.recipes.errors import PlanningError
from zdt.recipes.rename_table import RenameTable
from zdt.schema.snapshot import SchemaSnapshot

_EXECUTOR_SETTINGS = {"lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"}


def plan_sql(
    sql_text: str,
    *,
    source: str = "<input>",
    snapshot: SchemaSnapshot | None = None,
    pg_version: int | None = None,
    settings: PlannerSettings | None = None,
    plan_id: str | None = None,
) -> MigrationPlan:
    """Plan ``sql_text``; raises SqlSyntaxError or PlanningError (with line) when it cannot."""
    return plan_sources(
        [(source, sql_text)],
        snapshot=snapshot,
        pg_version=pg_version,
        settings=settings,
        plan_id=plan_id,
    )


def plan_sources(
    sources: Sequence[tuple[str, str]],
    *,
    snapshot: SchemaSnapshot | None = None,
    pg_version: int | None = None,
    settings: PlannerSettings | None = None,
    plan_id: str | None = None,
    migrations: Sequence[FolderMigration] = (),
) -> MigrationPlan:
    """Plan several files (name, text) as one migration, in order, each refusal naming file and line.

    The files of a migrations folder that are still pending are planned together: a table one of them
    creates is new to the others too (no release uses it yet), and the phases group all their steps.
    Step ids number the statements across files (s01, s02, ... go on from one file to the next).
    ``migrations``, when given, are the folder migrations the sources come from (one per source): the
    plan carries them with the ids of the steps each one became, for the tool's history.
    """
    state = new_state(pg_version=pg_version, snapshot=snapshot)
    notes: list[str] = []
    planned: list[PlannedStatement] = []
    several = len(sources) > 1
    step_ids: list[list[str]] = []
    renamed: dict[Key, str] = {}  # columns an earlier statement's recipe leaves under another name
    renamed_tables: dict[str, str] = {}  # tables an earlier rename leaves under both names until contract
    views = ViewColumns(snapshot)  # which columns each view reads, for ordering
    shapes = VersionShapes(snapshot)  # what each release sees of the tables the plan changes
    for name, text in sources:
        where = f"{name}: " if several else ""
        first = len(planned)
        for context in planning_contexts(
            text, state, source=name, settings=settings, notes=notes, first_number=len(planned) + 1
        ):
            # before its recipe, which would otherwise refuse it for the view or the missing table
            _refuse_uses_of_renamed_tables(
                object_keys(context.node), context.statement.line, renamed_tables, where
            )
            statement = _plan_statement(context, where, views)
            _refuse_uses_of_renamed(statement, renamed, where)
            renamed.update(_renamed_by(statement))
            renamed_tables.update(_tables_renamed_by(statement))
            shapes.record(context.node, statement.steps)
            planned.append(statement)
            notes += context.notes
        step_ids.append([step.id for statement in planned[first:] for step in statement.steps])
    ordered, held_back = order_steps(planned)
    notes += held_back
    sql_text = joined_sql(text for _, text in sources)
    plan_id = plan_id or _plan_id(sql_text)
    versions = None
    settings = settings or PlannerSettings()
    if shapes.wanted(settings.versioned_schemas):
        version = version_for(plan_id, settings.version_name)
        ordered, versions = add_versions(ordered, shapes, version=version, pg_version=state.pg_version)
        notes.append(
            f"version schemas: {versions.why}. New release: search_path = {versions.new_search_path}; "
            f"old release: unchanged (or {versions.old_search_path})"
        )
    return MigrationPlan(
        id=plan_id,
        source=sql_text,
        pg_version=state.pg_version,
        schema_fingerprint=snapshot.fingerprint() if snapshot else None,
        steps=ordered,
        notes=notes + backfill_wal_notes(ordered, snapshot),
        versions=versions,
        migrations=[
            migration.model_copy(update={"steps": ids})
            for migration, ids in zip(migrations, step_ids, strict=False)
        ],
    )


def _renamed_by(statement: PlannedStatement) -> dict[Key, str]:
    """The columns whose recipe ends with them under a new name (a type change: ``c`` -> ``c_zdt_new``)."""
    found: dict[Key, str] = {}
    for step in statement.steps:
        for sql_text in step.end_state_sql:
            for raw in parser.parse_sql(sql_text):
                node = raw.stmt
                if isinstance(node, ast.RenameStmt) and node.relation is not None and node.subname:
                    table = names.of_range_var(node.relation)
                    key = ("column", f"{table}.{maybe_double_quote_name(node.subname)}")
                    found[key] = f"line {statement.line} leaves it as {node.newname}"
    return found


def _refuse_uses_of_renamed(statement: PlannedStatement, renamed: dict[Key, str], where: str) -> None:
    """A later statement naming a column an earlier type change renamed would run against a column that
    no longer exists by then: refuse it, saying how to write the file instead."""
    for key in sorted((statement.keys.defines | statement.keys.mentions) & renamed.keys()):
        raise PlanningError(
            f"{where}line {statement.line}: uses {describe(key)}, but {renamed[key]} (zdt changes a type "
            "through a new column that the new release uses): put that statement in a migration of its "
            "own, after this one is contracted, or name the new column"
        )


def _tables_renamed_by(statement: PlannedStatement) -> dict[str, str]:
    """Both names of a table the rename-table recipe renames only at contract (a view until then)."""
    if not any(step.recipe == RenameTable.id for step in statement.steps):
        return {}
    why = f"line {statement.line} renames it only at contract (the new name is a view until then)"
    return {name: why for kind, name in statement.keys.defines if kind == "relation"}


def _refuse_uses_of_renamed_tables(
    keys: ObjectKeys, line: int, renamed_tables: dict[str, str], where: str
) -> None:
    """A later statement about a table being renamed (either name, or anything in it) would meet the view
    or the old table rather than what the file means: refuse it, saying how to write the folder instead."""
    for kind, name in sorted(keys.defines | keys.mentions):
        table = next((t for t in renamed_tables if name == t or name.startswith(t + ".")), None)
        if table is None:
            continue
        raise PlanningError(
            f"{where}line {line}: uses {describe((kind, name))}, but {renamed_tables[table]}: "
            "put that statement in a migration of its own, after this one is contracted"
        )


def _plan_statement(context: PlanningContext, where: str, views: ViewColumns) -> PlannedStatement:
    """The recipe's steps for one statement, with its object keys (``views`` tells which columns the
    views it drops or creates read); every refusal says where (file and line)."""
    statement = context.statement
    try:
        steps = recipe_for(context).steps(context)
    except (CatalogueTextError, ParseTreeShapeError) as error:
        raise PlanningError(f"{where}line {statement.line}: {error}") from None
    except PlanningError as error:
        located = str(error) if str(error).startswith("line ") else f"line {statement.line}: {error}"
        if where or located != str(error):
            raise PlanningError(where + located) from None
        raise
    return PlannedStatement(statement.line, object_keys(statement.node, views), steps)


def joined_sql(texts: Iterable[str]) -> str:
    """The files as one script, each ended by a semicolon so that no statement runs into the next."""
    given = list(texts)
    if len(given) == 1:
        return given[0]
    return "\n".join(text if text.rstrip().endswith(";") else text.rstrip() + ";\n" for text in given)


def planning_contexts(
    sql_text: str,
    state: MigrationState,
    *,
    source: str = "<input>",
    settings: PlannerSettings | None = None,
    notes: list[str] | None = None,
    first_number: int = 1,
) -> Iterator[PlanningContext]:
    """Each statement of the script as the recipes see it, in order, the way ``plan_sql`` plans them:
    transaction control and timeouts dropped (with a line in ``notes``), ALTER TABLE split, each statement
    analysed against ``state`` after the ones before it.

    ``state`` moves on as the next context is made: use each context before asking for the next one.
    """
    settings = settings or PlannerSettings()
    statements = _prepared_statements(parse_statements(sql_text, source), notes if notes is not None else [])
    for number, statement in enumerate(statements, start=first_number):
        changes_before = len(state.constraint_changes)
        dropped_before = frozenset(state.dropped)
        report = analyse_statement(statement, state)
        yield PlanningContext(
            statement,
            report,
            state,
            settings,
            prefix=f"s{number:02d}",
            constraint_changes_before=changes_before,
            dropped_before=dropped_before,
        )


def _plan_id(sql_text: str) -> str:
    return "m-" + hashlib.sha256(sql_text.encode()).hexdigest()[:12]


def _prepared_statements(statements: list[ParsedStatement], notes: list[str]) -> list[ParsedStatement]:
    """Drop what the executor controls itself, and split ALTER TABLE into one change per statement."""
    prepared: list[ParsedStatement] = []
    for statement in statements:
        node = statement.node
        if isinstance(node, ast.TransactionStmt):
            notes.append(f"line {statement.line}: {statement.sql} dropped: the executor groups steps itself")
            continue
        if isinstance(node, ast.VariableSetStmt) and (node.name or "").lower() in _EXECUTOR_SETTINGS:
            notes.append(
                f"line {statement.line}: {statement.sql} dropped: every step runs under its own timeouts"
            )
            continue
        prepared.extend(_split_alter_table(statement))
    return prepared


def _split_alter_table(statement: ParsedStatement) -> list[ParsedStatement]:
    node = statement.node
    if not isinstance(node, ast.AlterTableStmt) or len(node.cmds or ()) < 2:
        return [statement]
    parts = []
    for command in node.cmds or ():
        single = ast.AlterTableStmt(
            relation=node.relation, cmds=(command,), objtype=node.objtype, missing_ok=node.missing_ok
        )
        text = deparse(single)
        reparsed = required(parser.parse_sql(text)[0].stmt, "RawStmt.stmt")
        parts.append(
            ParsedStatement(statement.index, statement.line, text, reparsed, statement.ignored_rules)
        )
    return parts
