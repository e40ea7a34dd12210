"""The steps of a column move: expand, migrate, contract, each verified and (but the last) reversible.

Not a recipe: the machinery change-column-type and rename-column share (``_column_move`` reads what to
move, ``_sync_trigger`` writes the trigger). Why each step sits in its phase is in docs/column-sync.md.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.locks import LockMode
from zdt.analysis.names import derived_name
from zdt.analysis.parse_tree import parse_index, rename_index_column
from zdt.plan.model import Backfill, LockDuration, Phase, Rollback, Step, Timeouts, Verification
from zdt.recipes import _checks as checks
from zdt.recipes._after_backfill import patient_if_harmless, patient_timeouts, vacuum_step
from zdt.recipes._column_move import ColumnMove, forward, reverse
from zdt.recipes._index_build import concurrent_index_step
from zdt.recipes._not_null_route import not_null_steps
from zdt.recipes._sync_trigger import create_trigger, sync_function
from zdt.recipes.base import PlanningContext, column, deparse, ident, literal, render, split_name
from zdt.schema.snapshot import IndexInfo


def plan_steps(move: ColumnMove, context: PlanningContext, recipe: str) -> list[Step]:
    """expand, then migrate, then contract: see the module docstring for why each step is where it is."""
    not_null = (
        not_null_steps(context, move.table, move.new, phase=Phase.MIGRATE, recipe=recipe)
        if move.old_info.not_null
        else []
    )
    add_not_null, prove_not_null = not_null[:1], not_null[1:]
    steps = [
        _add_column_step(move, context, recipe),
        _sync_trigger_step(move, context, recipe),
        *(
            step.model_copy(update={"phase": Phase.EXPAND, "description": _not_null_reason(step)})
            for step in add_not_null
        ),
        _backfill_step(move, context, recipe),
        _vacuum_step(move, context, recipe),
        *(patient_if_harmless(step, context) for step in prove_not_null),
        *(_index_step(move, index, context, recipe) for index in move.indexes),
        _contract_step(move, context, recipe),
    ]
    return steps


# --- expand -------------------------------------------------------------------------------------------


def _add_column_step(move: ColumnMove, context: PlanningContext, recipe: str) -> Step:
    default = []
    if move.expand_default is not None:
        default = [
            ast.Constraint(contype=ConstrType.CONSTR_DEFAULT, raw_expr=copy.deepcopy(move.expand_default))
        ]
    definition = ast.ColumnDef(
        colname=move.new,
        typeName=copy.deepcopy(move.new_type),
        collClause=copy.deepcopy(move.collation),
        constraints=tuple(default) or None,
        is_local=True,
    )
    add = ast.AlterTableCmd(subtype=AT.AT_AddColumn, def_=definition)
    drop = render("ALTER TABLE {t} DROP COLUMN IF EXISTS {c}", t=ident(move.table), c=column(move.new))
    default_note = ""
    if move.expand_default is not None:
        default_note = f", default {deparse(move.expand_default)}"
    elif move.contract_default is not None:
        default_note = (
            f", default {deparse(move.contract_default)} only from the contract on: it is volatile, and "
            f"until then the trigger copies what {move.old}'s default gives"
        )
    return _step(
        context,
        move,
        recipe,
        suffix=f"add-{move.new}",
        phase=Phase.EXPAND,
        description=(
            f"{move.purpose}: add column {move.new} ({deparse(move.new_type)}{default_note}) to "
            f"{move.table}, nullable, beside {move.old}: a catalog change, no rewrite; code that uses "
            f"{move.old} is unaffected"
        ),
        statements=[deparse(_alter_table(move.table, add))],
        verify=Verification(
            sql=checks.column_exists(move.table, move.new), description=f"{move.table}.{move.new} exists"
        ),
        rollback=Rollback(sql=[drop]),
        lock=LockMode.ACCESS_EXCLUSIVE,
    )


def _sync_trigger_step(move: ColumnMove, context: PlanningContext, recipe: str) -> Step:
    function = sql.Identifier(move.schema, move.function)
    drop = [
        render("DROP TRIGGER IF EXISTS {n} ON {t}", n=column(move.trigger), t=ident(move.table)),
        render("DROP FUNCTION IF EXISTS {f}()", f=function),
    ]
    others = ""
    if move.other_triggers:
        others = (
            f"; the table's own triggers ({', '.join(move.other_triggers)}) still see only {move.old}: "
            "check that none of them needs to know about the new column"
        )
    return _step(
        context,
        move,
        recipe,
        suffix="sync-trigger",
        phase=Phase.EXPAND,
        description=(
            f"create {move.schema}.{move.function}() and trigger {move.trigger} on {move.table} in one "
            f"transaction: every INSERT and UPDATE copies whichever of {move.old} / {move.new} it wrote "
            f"into the other ({move.old} -> {move.new}: {deparse(forward(move))}; {move.new} -> {move.old}: "
            f"{deparse(reverse(move))}), so code using either name reads what the other wrote" + others
        ),
        statements=[deparse(sync_function(move)), create_trigger(move)],
        verify=Verification(sql=_trigger_in_place(move), description=f"trigger {move.trigger} is enabled"),
        rollback=Rollback(sql=drop),
        lock=LockMode.SHARE_ROW_EXCLUSIVE,
    )


def _not_null_reason(step: Step) -> str:
    return (
        step.description + "; added now, before the backfill, because afterwards autovacuum would make "
        "this AccessExclusiveLock time out; the trigger already fills the column on every write"
    )


# --- migrate ------------------------------------------------------------------------------------------


def _backfill_step(move: ColumnMove, context: PlanningContext, recipe: str) -> Step:
    target, value = column(move.new), sql.SQL(deparse(forward(move)))
    return context.step(
        "backfill",
        phase=Phase.MIGRATE,
        description=(
            f"backfill {move.table}.{move.new} = {deparse(forward(move))} in batches of "
            f"{context.settings.batch_size} rows by {move.key}, only rows where it disagrees; each batch "
            "commits on its own, so row locks last one batch and writes go on"
        ),
        backfill=Backfill(
            table=move.table,
            key_column=move.key,
            set_sql=render("{c} = {v}", c=target, v=value),
            where_sql=_disagrees(move).as_string(),
            batch_size=context.settings.batch_size,
            pause_ms=context.settings.batch_pause_ms,
        ),
        verify=Verification(
            sql=_disagreeing_rows(move), expect=0, description=f"no row of {move.table} is left to backfill"
        ),
        rollback=Rollback(not_needed=f"the values live in {move.new}, which undoing the expand drops"),
        lock=LockMode.ROW_EXCLUSIVE,
        lock_duration=LockDuration.BATCHED,
        tables=[move.table],
        recipe=recipe,
    )


def _vacuum_step(move: ColumnMove, context: PlanningContext, recipe: str) -> Step:
    return vacuum_step(
        context,
        move.table,
        step_id=context.step_id("vacuum"),
        recipe=recipe,
        verify=Verification(
            sql=_disagreeing_rows(move),
            expect=0,
            description=f"{move.old} and {move.new} agree on every row of {move.table}",
        ),
        what_next=f". Then check that {move.old} and {move.new} agree on every row",
    )


def _index_step(move: ColumnMove, index: IndexInfo, context: PlanningContext, recipe: str) -> Step:
    schema, name = split_name(index.name)
    staged = names.qualified(schema, staged_index_name(name))
    statement = parse_index(index.definition)
    rename_index_column(statement, move.old, move.new)
    statement.idxname = staged_index_name(name)
    statement.concurrent = True
    return concurrent_index_step(
        context,
        suffix=f"index-{name}",
        phase=Phase.MIGRATE,
        index=staged,
        table=move.table,
        create_sql=deparse(statement),
        description=(
            f"build {staged} on {move.table} CONCURRENTLY: {index.name} for {move.new} instead of "
            f"{move.old} (writes go on); it takes the name {name} when the contract drops {move.old}"
        ),
        recipe=recipe,
        timeouts=patient_timeouts(context),
    )


def staged_index_name(name: str) -> str:
    return derived_name(f"{name}_zdt")


# --- contract -----------------------------------------------------------------------------------------


def _contract_step(move: ColumnMove, context: PlanningContext, recipe: str) -> Step:
    statements = [
        render("DROP TRIGGER {n} ON {t}", n=column(move.trigger), t=ident(move.table)),
        render("DROP FUNCTION {f}()", f=sql.Identifier(move.schema, move.function)),
    ]
    if move.contract_default is not None:
        set_default = ast.AlterTableCmd(
            subtype=AT.AT_ColumnDefault, name=move.new, def_=copy.deepcopy(move.contract_default)
        )
        statements.append(deparse(_alter_table(move.table, set_default)))
    statements.append(render("ALTER TABLE {t} DROP COLUMN {c}", t=ident(move.table), c=column(move.old)))
    for index in move.indexes:
        schema, name = split_name(index.name)
        statements.append(
            render(
                "ALTER INDEX {staged} RENAME TO {name}",
                staged=sql.Identifier(schema, staged_index_name(name)),
                name=column(name),
            )
        )
    return _step(
        context,
        move,
        recipe,
        suffix=f"drop-{move.old}",
        phase=Phase.CONTRACT,
        description=(
            f"switch-over, only once {move.handover}: drop trigger {move.trigger}, its function and "
            f"column {move.old} in one transaction (brief AccessExclusiveLock), and give the new indexes "
            f"the old names. No rename swap: {move.old} keeps its name and type until it is dropped, so "
            "no session holding a prepared statement ever sees a column change type (a swap fails each of "
            "them with 'cached plan must not change result type' until it reconnects); statements naming "
            f"{move.new} are untouched"
        ),
        statements=statements,
        verify=Verification(sql=_contracted(move), description=f"{move.old} and the trigger are gone"),
        rollback=Rollback(
            irreversible=(
                f"{move.table}.{move.old} and its data are dropped; {move.new} holds the same values, "
                f"so going back means a new migration that copies them into a new {move.old}"
            )
        ),
        lock=LockMode.ACCESS_EXCLUSIVE,
    )


# --- verification queries -----------------------------------------------------------------------------


def _disagrees(move: ColumnMove) -> sql.Composed:
    return sql.SQL("{new} IS DISTINCT FROM {value}").format(
        new=column(move.new), value=sql.SQL(deparse(forward(move)))
    )


def _disagreeing_rows(move: ColumnMove) -> str:
    return render("SELECT count(*) FROM {t} WHERE {d}", t=ident(move.table), d=_disagrees(move))


def _function_signature(move: ColumnMove) -> str:
    return sql.Identifier(move.schema, move.function).as_string() + "()"


def _trigger_in_place(move: ColumnMove) -> str:
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass({t}) AND tgname = {n} "
        "AND tgfoid = to_regprocedure({f}) AND tgenabled <> 'D')",
        t=literal(move.table),
        n=literal(move.trigger),
        f=literal(_function_signature(move)),
    )


def _contracted(move: ColumnMove) -> str:
    """Old column, trigger and function gone; each rebuilt index carries its old name again."""
    conditions = [
        sql.SQL(
            "NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({t}) AND attname = {c} "
            "AND NOT attisdropped)"
        ).format(t=literal(move.table), c=literal(move.old)),
        sql.SQL(
            "NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass({t}) AND tgname = {n})"
        ).format(t=literal(move.table), n=literal(move.trigger)),
        sql.SQL("to_regprocedure({f}) IS NULL").format(f=literal(_function_signature(move))),
        *(sql.SQL("to_regclass({i}) IS NOT NULL").format(i=literal(index.name)) for index in move.indexes),
    ]
    return render("SELECT {all}", all=sql.SQL(" AND ").join(conditions))


# --- statements ----------------------------------------------------------------------------------------


def _step(
    context: PlanningContext,
    move: ColumnMove,
    recipe: str,
    *,
    suffix: str,
    phase: Phase,
    description: str,
    statements: list[str],
    verify: Verification,
    rollback: Rollback,
    lock: LockMode,
    lock_duration: LockDuration = LockDuration.BRIEF,
    transactional: bool = True,
    on_failure_sql: Iterable[str] = (),
    timeouts: Timeouts | None = None,
) -> Step:
    return context.step(
        suffix,
        phase=phase,
        description=description,
        sql=statements,
        transactional=transactional,
        verify=verify,
        rollback=rollback,
        on_failure_sql=list(on_failure_sql),
        lock=lock,
        lock_duration=lock_duration,
        tables=[move.table],
        timeouts=timeouts or context.settings.timeouts(),
        recipe=recipe,
    )


def _alter_table(table: str, command: ast.AlterTableCmd) -> ast.AlterTableStmt:
    schema, relname = split_name(table)
    relation = ast.RangeVar(schemaname=schema, relname=relname, inh=True, relpersistence="p")
    return ast.AlterTableStmt(relation=relation, cmds=(command,), objtype=ObjectType.OBJECT_TABLE)
