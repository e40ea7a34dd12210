"""Two columns kept equal while old and new application code run side by side.

Not a recipe: the machinery that change-column-type and rename-column share, so the trigger that keeps
the columns in sync is written once. Both recipes move a column's values into a new column that the
application switches to; only how the new value is computed from the old one differs (a cast or the
USING expression, or nothing for a rename).

expand   ADD COLUMN <new> (nullable; the old default when it is not volatile). A trigger function and a
         BEFORE INSERT OR UPDATE trigger, created in one transaction, copy whichever column a statement
         wrote into the other one, so old code (writing <old>) and new code (writing <new>) both see their
         writes in both columns. If <old> is NOT NULL, the NOT NULL constraint on <new> is added NOT VALID.
migrate  Backfill <new> in key-range batches, only where it disagrees with <old>. VACUUM (ANALYZE) the
         table. Validate the NOT NULL constraint (and, before PostgreSQL 18, SET NOT NULL and drop the
         helper CHECK). Build every index of <old> again for <new>, CONCURRENTLY.
contract Drop the trigger, its function and <old> (its indexes go with it), give the new indexes the old
         indexes' names. There is no rename swap; see "Why no swap" below.

Why the trigger decides by what a statement changed: it cannot know which release sent the statement.
On INSERT, a <new> still equal to its default means nobody wrote it, so it is computed from <old>;
otherwise <new> was written and <old> is computed from it. On UPDATE, a <new> that changed and disagrees
with <old> was written by new code; anything else (old code, or an UPDATE of other columns on a row the
backfill has not reached) recomputes <new> from <old>. When a value of <new> cannot be copied into <old>
and back unchanged (a fraction into an integer column), the trigger raises instead of silently storing
a different value where old code reads it. The function runs with the search_path of the migration
session (SET search_path FROM CURRENT), so the type names and functions it uses resolve as they did when
the plan ran, whatever the application session's search_path is.

Why no swap: renaming <old> away and <new> into its place would change the type of a column that running
sessions have prepared statements for; PostgreSQL then fails every such statement with "cached plan
must not change result type" until the session reconnects (measured here: thousands of errors under
load). The application therefore moves to <new> by name while <old> keeps its name and type for the code
that still uses it, and the contract only removes what nobody uses any more. Statements that name their
columns survive every step; ``SELECT *`` (and ``RETURNING *``) prepared before ADD COLUMN or DROP COLUMN
fail once, on any expand/contract, because their result gains or loses a column.

Why the NOT NULL constraint is added during expand, and why the backfill is followed by VACUUM: a large
backfill wakes autovacuum, whose ShareUpdateExclusiveLock then makes the next short AccessExclusiveLock
step time out again and again (measured: 10 retries). Adding the constraint NOT VALID needs that lock,
so it happens before the backfill; the trigger fills <new> on every write, so new rows satisfy it. The
VACUUM leaves autovacuum nothing to do before the remaining brief AccessExclusiveLock step, and steps
that only take ShareUpdateExclusiveLock wait long enough (5 s, beyond deadlock_timeout) for PostgreSQL to
cancel an autovacuum in their way: waiting for that lock queues no application query.

Refused, with the objects named: views of the table, foreign keys and CHECK constraints using <old>,
generated columns computed from it, a primary key containing it, a sequence default, and tables without
a single-column primary key to batch by. Carrying those over is out of scope; a plan that fails halfway
would be worse than no plan.
"""

from __future__ import annotations

import copy
import hashlib
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from pglast import ast, parser
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType, VariableSetKind
from pglast.visitors import Visitor
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.locks import LockMode
from zdt.analysis.volatility import called_functions, is_volatile
from zdt.plan.model import Backfill, LockDuration, Phase, Rollback, Step, Timeouts, Verification
from zdt.recipes import checks
from zdt.recipes.after_backfill import patient_if_harmless, patient_timeouts, vacuum_step
from zdt.recipes.base import PlanningContext, column, deparse, ident, literal, render, split_name
from zdt.recipes.batch_key import require_batch_key
from zdt.recipes.errors import PlanningError
from zdt.recipes.not_null_route import not_null_steps
from zdt.schema.snapshot import ColumnInfo, IndexInfo, SchemaSnapshot, TableInfo

NAME_MAX_BYTES = 63  # NAMEDATALEN - 1


@dataclass(frozen=True)
class ColumnMove:
    """One old column, the new column that replaces it, and how a value gets from one to the other."""

    table: str
    old_info: ColumnInfo
    new: str
    old_type: ast.TypeName
    new_type: ast.TypeName
    conversion: ast.Node | None  # the new value from a bare reference to the old column; None: same value
    collation: ast.CollateClause | None
    key: str
    indexes: tuple[IndexInfo, ...]
    expand_default: ast.Node | None  # set on the new column from the start (not volatile)
    contract_default: ast.Node | None  # volatile: old code's inserts fill it through the trigger until then
    other_triggers: tuple[str, ...]
    purpose: str  # "change the type of public.t.c to bigint", for step descriptions
    handover: str  # what the application must have done before the contract phase

    @property
    def old(self) -> str:
        return self.old_info.name

    @property
    def schema(self) -> str:
        return split_name(self.table)[0]

    @property
    def relname(self) -> str:
        return split_name(self.table)[1]

    @property
    def function(self) -> str:
        """The trigger function's unqualified name: in the table's schema, derived from table and column."""
        return derived_name(f"zdt_sync_{self.relname}_{self.old}")

    @property
    def trigger(self) -> str:
        return self.function

    @property
    def same_value(self) -> bool:
        return self.conversion is None


def derived_name(name: str) -> str:
    """``name`` if PostgreSQL keeps it whole, else a prefix plus a hash of the whole name.

    PostgreSQL silently cuts names at 63 bytes: a verification query would then look for a name that does
    not exist, and two long names cut to the same prefix would collide. The hash keeps them apart.
    """
    encoded = name.encode()
    if len(encoded) <= NAME_MAX_BYTES:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:8]
    head = encoded[: NAME_MAX_BYTES - len(digest) - 1].decode(errors="ignore")
    return f"{head}_{digest}"


def plan_move(
    context: PlanningContext,
    *,
    table: str,
    old: str,
    new: str,
    new_type: ast.TypeName | None,
    conversion: ast.Node | None,
    collation: ast.CollateClause | None,
    purpose: str,
    handover: str,
) -> ColumnMove:
    """Everything the steps need, read from the pre-migration snapshot; PlanningError when unsafe.

    ``new_type`` None keeps the old column's type. The snapshot, not ``context.state``, describes the
    column: the state already reflects the statement being planned.
    """
    line = context.statement.line
    snapshot = context.snapshot
    if snapshot is None:
        raise PlanningError(
            f"line {line}: to {purpose}, zdt needs the current schema (the column's type, NOT NULL, "
            "default, indexes and dependants): plan against the database"
        )
    info = snapshot.table(table)
    if info is None or info.kind != "r":
        kind = "is not in the schema" if info is None else f"is not a plain table (relkind {info.kind})"
        raise PlanningError(f"line {line}: cannot {purpose}: {table} {kind}")
    current = info.columns.get(old)
    if current is None:
        raise PlanningError(f"line {line}: cannot {purpose}: {table} has no column {old}")
    if new in info.columns:
        raise PlanningError(f"line {line}: cannot {purpose}: {table} already has a column {new}")
    blockers = _blockers(snapshot, info, current)
    if blockers:
        raise PlanningError(
            f"line {line}: cannot {purpose}: " + "; ".join(blockers) + ". zdt does not carry these over "
            "to a new column: drop them first and recreate them once the change is complete"
        )
    key = require_batch_key(context, table, f"the backfill to {purpose}")
    old_type = type_name_of(current.type)
    expand_default, contract_default = _defaults(context, table, current, snapshot)
    return ColumnMove(
        table=table,
        old_info=current,
        new=new,
        old_type=old_type,
        new_type=new_type if new_type is not None else copy.deepcopy(old_type),
        conversion=conversion,
        collation=collation,
        key=key,
        indexes=tuple(
            sorted(
                (index for index in info.indexes if index.valid and old in _index_columns(index)),
                key=lambda index: index.name,
            )
        ),
        expand_default=expand_default,
        contract_default=contract_default,
        other_triggers=tuple(info.triggers),
        purpose=purpose,
        handover=handover,
    )


def _blockers(snapshot: SchemaSnapshot, info: TableInfo, current: ColumnInfo) -> list[str]:
    """Objects that depend on the old column and would break (or be silently lost) with it."""
    name = current.name
    found: list[str] = []
    if current.generated:
        found.append(f"{name} is a generated column")
    if info.dependent_views:
        found.append(
            f"views depend on {info.name} ({', '.join(info.dependent_views)}); the snapshot does not say "
            f"which columns they use, and dropping {name} fails if one of them does"
        )
    for index in info.indexes:
        if index.primary and name in _index_columns(index):
            found.append(f"{name} is part of the primary key {index.name}")
    for check in info.checks:
        if name in referenced_columns(_parse_constraint(check.definition).raw_expr):
            found.append(f"CHECK constraint {check.name} uses {name}")
    for foreign_key in info.foreign_keys:
        if name in _names(_parse_constraint(foreign_key.definition).fk_attrs):
            found.append(f"foreign key {foreign_key.name} uses {name}")
    for referencing in info.referenced_by:
        other = snapshot.table(referencing)
        for foreign_key in other.foreign_keys if other else ():
            constraint = _parse_constraint(foreign_key.definition)
            if foreign_key.referenced_table == info.name and name in _names(constraint.pk_attrs):
                found.append(f"foreign key {foreign_key.name} of {referencing} references {name}")
    for other_column in info.columns.values():
        computed_from = other_column.generated and other_column.default
        if computed_from and name in referenced_columns(parse_expression(other_column.default or "")):
            found.append(f"generated column {other_column.name} is computed from {name}")
    return found


def _defaults(
    context: PlanningContext, table: str, current: ColumnInfo, snapshot: SchemaSnapshot
) -> tuple[ast.Node | None, ast.Node | None]:
    """(default from expand on, default from contract on) for the new column.

    A volatile default cannot go on the new column while old code still inserts: the trigger would have
    no way to tell a computed default from a value the statement wrote. Old code's inserts fill the old
    column's default and the trigger copies it; the new column takes the default over at the contract.
    """
    if not current.default:
        return None, None
    expression = parse_expression(current.default)
    if "nextval" in {name.lower() for name in called_functions(expression)}:
        raise PlanningError(
            f"line {context.statement.line}: {table}.{current.name} takes its default from a sequence "
            f"({current.default}); the sequence belongs to the column and would go with it: out of scope"
        )
    if is_volatile(expression, snapshot.function_volatility):
        return None, expression
    return expression, None


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
        statements=[deparse(_sync_function(move)), _create_trigger(move)],
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
    statement = _parse_index(index.definition)
    _rename_columns(statement, move.old, move.new)
    statement.idxname = staged_index_name(name)
    statement.concurrent = True
    drop = render("DROP INDEX CONCURRENTLY IF EXISTS {i}", i=ident(staged))
    return _step(
        context,
        move,
        recipe,
        suffix=f"index-{name}",
        phase=Phase.MIGRATE,
        description=(
            f"build {staged} on {move.table} CONCURRENTLY: {index.name} for {move.new} instead of "
            f"{move.old} (writes go on); it takes the name {name} when the contract drops {move.old}"
        ),
        statements=[deparse(statement)],
        transactional=False,
        verify=Verification(sql=checks.index_valid(staged), description=f"{staged} is valid"),
        rollback=Rollback(sql=[drop], transactional=False),
        on_failure_sql=[drop],
        lock=LockMode.SHARE_UPDATE_EXCLUSIVE,
        lock_duration=LockDuration.NONE,
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


# --- the trigger --------------------------------------------------------------------------------------

_SYNC_BODY = """
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The new column still holds its default: the statement wrote the old one, or neither.
        IF NEW.{new} IS NOT DISTINCT FROM {new_default} THEN
            NEW.{new} := {forward};
        ELSIF NEW.{new} IS DISTINCT FROM {forward} THEN
            NEW.{old} := {reverse};{insert_guard}
        END IF;
    -- An UPDATE that changed the new column to a value the old one does not give: new code wrote it.
    ELSIF NEW.{new} IS DISTINCT FROM OLD.{new} AND NEW.{new} IS DISTINCT FROM {forward} THEN
        NEW.{old} := {reverse};{update_guard}
    ELSE
        -- Old code wrote the old column, or the UPDATE wrote neither (this also fills a row
        -- the backfill has not reached yet).
        NEW.{new} := {forward};
    END IF;
    RETURN NEW;
END
"""

_ROUND_TRIP_GUARD = """
IF {forward} IS DISTINCT FROM NEW.{new} THEN
    RAISE EXCEPTION USING
        ERRCODE = 'data_exception',
        MESSAGE = format('zdt: %s = %s does not survive the copy into %s unchanged',
                         {new_name}, NEW.{new}, {old_name}),
        HINT = 'code that still reads the old column could not read this value back; '
               'write values it can hold until the contract phase';
END IF;"""


def _sync_body(move: ColumnMove) -> str:
    record_forward = sql.SQL(deparse(forward(move, "new")))
    parts: dict[str, sql.Composable] = {
        "new": column(move.new),
        "old": column(move.old),
        "forward": record_forward,
        "reverse": sql.SQL(deparse(reverse(move, "new"))),
        "new_default": sql.SQL(deparse(_new_default(move))),
    }
    guard = ""
    if not move.same_value:
        guard = (
            sql.SQL(_ROUND_TRIP_GUARD)
            .format(
                forward=record_forward,
                new=column(move.new),
                new_name=literal(move.new),
                old_name=literal(move.old),
            )
            .as_string()
        )
    return (
        sql.SQL(_SYNC_BODY)
        .format(
            insert_guard=sql.SQL(textwrap.indent(guard, " " * 12)),
            update_guard=sql.SQL(textwrap.indent(guard, " " * 8)),
            **parts,
        )
        .as_string()
    )


def _sync_function(move: ColumnMove) -> ast.CreateFunctionStmt:
    return ast.CreateFunctionStmt(
        is_procedure=False,
        replace=False,
        funcname=(ast.String(move.schema), ast.String(move.function)),
        parameters=(),
        returnType=ast.TypeName(names=(ast.String("trigger"),)),
        options=(
            ast.DefElem(defname="language", arg=ast.String("plpgsql")),
            ast.DefElem(
                defname="set",
                arg=ast.VariableSetStmt(kind=VariableSetKind.VAR_SET_CURRENT, name="search_path"),
            ),
            ast.DefElem(defname="as", arg=(ast.String(_sync_body(move)),)),
        ),
    )


def _create_trigger(move: ColumnMove) -> str:
    return render(
        "CREATE TRIGGER {n} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {f}()",
        n=column(move.trigger),
        t=ident(move.table),
        f=sql.Identifier(move.schema, move.function),
    )


def forward(move: ColumnMove, record: str | None = None) -> ast.Node:
    """The new column's value from the old one; ``record`` ("new") qualifies columns inside the trigger."""
    if move.conversion is None:
        return _ref(move.old, record)
    expression = copy.deepcopy(move.conversion)
    if record is not None:
        for reference in _column_refs(expression):
            reference.fields = (ast.String(record), *reference.fields)
    return ast.TypeCast(arg=expression, typeName=copy.deepcopy(move.new_type))


def reverse(move: ColumnMove, record: str | None = None) -> ast.Node:
    """The old column's value from the new one: a cast back (the trigger checks it round-trips)."""
    if move.conversion is None:
        return _ref(move.new, record)
    return ast.TypeCast(arg=_ref(move.new, record), typeName=copy.deepcopy(move.old_type))


def _new_default(move: ColumnMove) -> ast.Node:
    if move.expand_default is None:
        return ast.A_Const(isnull=True)
    if move.same_value:
        return copy.deepcopy(move.expand_default)
    return ast.TypeCast(arg=copy.deepcopy(move.expand_default), typeName=copy.deepcopy(move.new_type))


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


# --- statements, names and parsing --------------------------------------------------------------------


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


def _ref(name: str, record: str | None = None) -> ast.ColumnRef:
    fields = (ast.String(record), ast.String(name)) if record else (ast.String(name),)
    return ast.ColumnRef(fields=fields)


class _ColumnRefs(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[ast.ColumnRef] = []

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        self.found.append(node)


def _column_refs(node: ast.Node | None) -> list[ast.ColumnRef]:
    if node is None:
        return []
    collector = _ColumnRefs()
    collector(node)
    return collector.found


def referenced_columns(node: ast.Node | None) -> set[str]:
    """Names of the columns an expression mentions (the last part of each reference)."""
    return {
        reference.fields[-1].sval
        for reference in _column_refs(node)
        if isinstance(reference.fields[-1], ast.String)
    }


def _names(values: Iterable[ast.String] | None) -> set[str]:
    return {value.sval for value in values or ()}


def parse_expression(text: str) -> ast.Node:
    """A catalog expression (pg_get_expr output) as a parse tree: read with the parser, never by matching."""
    statements = parser.parse_sql("SELECT " + text)
    select = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(select, ast.SelectStmt) or len(select.targetList or ()) != 1 or select.fromClause:
        raise PlanningError(f"unexpected expression in the catalog: {text}")
    return select.targetList[0].val


def type_name_of(formatted: str) -> ast.TypeName:
    """format_type() output (``character varying(50)``) as a TypeName node, checked by the parser."""
    expression = parse_expression("CAST(NULL AS " + formatted + ")")
    if not isinstance(expression, ast.TypeCast):
        raise PlanningError(f"unexpected type name in the catalog: {formatted}")
    return expression.typeName


def _parse_constraint(definition: str) -> ast.Constraint:
    """pg_get_constraintdef output (``CHECK ((a > 0))``, ``FOREIGN KEY (a) REFERENCES ...``) as a node."""
    statement = parser.parse_sql("ALTER TABLE zdt_probe ADD " + definition)[0].stmt
    command = statement.cmds[0] if isinstance(statement, ast.AlterTableStmt) else None
    if command is None or not isinstance(command.def_, ast.Constraint):
        raise PlanningError(f"unexpected constraint in the catalog: {definition}")
    return command.def_


def _parse_index(definition: str) -> ast.IndexStmt:
    statement = parser.parse_sql(definition)[0].stmt
    if not isinstance(statement, ast.IndexStmt):
        raise PlanningError(f"unexpected index definition in the catalog: {definition}")
    return statement


def _index_columns(index: IndexInfo) -> set[str]:
    """Every column an index uses: key and INCLUDE columns, expressions and the partial-index predicate."""
    statement = _parse_index(index.definition)
    used: set[str] = set()
    for element in (*(statement.indexParams or ()), *(statement.indexIncludingParams or ())):
        if element.name:
            used.add(element.name)
        used |= referenced_columns(element.expr)
    return used | referenced_columns(statement.whereClause)


def _rename_columns(statement: ast.IndexStmt, old: str, new: str) -> None:
    """Point every use of ``old`` in a parsed index definition at ``new`` (in place)."""
    for element in (*(statement.indexParams or ()), *(statement.indexIncludingParams or ())):
        if element.name == old:
            element.name = new
    for reference in _column_refs(statement):
        if len(reference.fields) == 1 and reference.fields[0].sval == old:
            reference.fields = (ast.String(new),)
