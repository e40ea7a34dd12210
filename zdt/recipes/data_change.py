"""INSERT and DELETE in a migration: data changes, each verified and undone only where that is honest.

INSERT into a live table (``INSERT ... VALUES`` or ``INSERT ... SELECT``) adds rows: its RowExclusiveLock
conflicts with no application statement and it locks no existing row, so it runs as written, one
transactional step.

start:    migrate, when its rows can be deleted again: a VALUES list giving the table's single-column
          primary key as constants, without ON CONFLICT (the INSERT fails on a key that exists, so when it
          runs every listed key is new). Otherwise contract: rows that cannot be told apart from the
          table's others cannot be taken out again, which is irreversible, and the gate allows that only
          in contract. Into a table the same plan creates: expand, as written (no traffic yet).
verify:   the listed keys exist; else the INSERT's rows are there: its VALUES or SELECT, re-run with each
          value cast to its column's type, ``EXCEPT`` the table's rows in those columns returns no row.
          That re-run is only a proof when it gives the same rows again: not when a value is volatile
          (random(), nextval()) or reads the clock or a setting (now(), CURRENT_USER), a DEFAULT, LIMIT
          without a fixed order, the SELECT reads the table it fills, uses a CTE or
          ``*``, or ON CONFLICT skipped or changed rows. Then only the statement's success is verified
          (the table exists), and the step's description says why.
rollback: ``DELETE ... WHERE key IN (the listed keys)``; irreversible otherwise (see start); not needed on
          a table the plan creates (undoing its CREATE TABLE removes the rows).

DELETE of a live table removes rows: the plan keeps no copy, so it is irreversible and belongs to the
contract phase.

start:    contract. A table over the analyser's small-table threshold is deleted from in batches by its
          single-column primary key (a ``Backfill`` with ``delete``, each key range its own short
          transaction, USING kept as its FROM list), so row locks are held for one batch only; a small
          table in one statement under a statement_timeout. On a table the plan creates: expand, as
          written.
verify:   no row the DELETE selects is left.
rollback: irreversible: the deleted rows are gone (back them up first when you may need them again).

A table alias is spelled out as the table's name (``_unalias``). Refused, with the statement's line:
DELETE with RETURNING / WITH / WHERE CURRENT OF / ONLY / an alias whose name is used again inside it / a
USING list that reads the table itself when it must run in batches, and tables without a
single-column primary key over the small-table threshold.
"""

from __future__ import annotations

from pglast import ast, parser
from pglast.enums import BoolExprType, SetOperation, SubLinkType
from pglast.visitors import Visitor

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.parse_tree import CatalogueTextError, type_name_of
from zdt.analysis.rules.base import SMALL_TABLE_BYTES, SMALL_TABLE_ROWS
from zdt.analysis.volatility import called_functions, is_volatile
from zdt.plan.model import Backfill, LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes._batch_key import primary_key_column, require_batch_key
from zdt.recipes._relations import relations_read, unbatchable_parts
from zdt.recipes._reprint import faithful_sql
from zdt.recipes._unalias import unaliased
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    deparse,
    ident,
    literal,
    relation_name,
    render,
    split_name,
)
from zdt.recipes.errors import PlanningError

DELETED = "the deleted rows are gone: zdt keeps no copy (back them up first if you may need them again)"
NOT_IDENTIFIABLE = (
    "the inserted rows cannot be told apart from the table's others (no primary key given as constants, "
    "or ON CONFLICT): zdt cannot delete them again"
)
NEW_TABLE = "the table is created by this plan: undoing its CREATE TABLE removes these rows"
SMALL_DELETE_TIMEOUT_MS = 10_000


class DataChange(Recipe):
    id = "data-change"
    summary = "INSERT rows (migrate, deleted again by key) or DELETE rows (contract, in batches)."
    examples = (
        RecipeExample(
            title="seeding a lookup table and purging old rows",
            schema="""
                CREATE TABLE categories (id bigint PRIMARY KEY, name text NOT NULL);
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, archived boolean NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g, g > 11000 FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="""
                INSERT INTO categories (id, name) VALUES (1, 'news'), (2, 'sport');
                DELETE FROM posts WHERE archived;
            """,
            plan="""
                migrate  s01-insert
                    INSERT INTO categories (id, name) VALUES (1, 'news'), (2, 'sport')
                contract s02-delete (irreversible)
                    in batches by id: DELETE FROM public.posts WHERE archived
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title, archived) VALUES (12001, 'written by the old release', false)",
            ),
            new_queries=(
                "SELECT name FROM categories WHERE id = 1",
                "SELECT count(*) FROM posts WHERE NOT archived",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return isinstance(context.node, ast.InsertStmt | ast.DeleteStmt)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node
        if isinstance(node, ast.InsertStmt):
            return [_insert(context, node, self.id)]
        line = context.statement.line
        node = unaliased(context.node_as(ast.DeleteStmt), context.statement.sql, line)
        return [_delete(context, node, self.id)]


def _insert(context: PlanningContext, node: ast.InsertStmt, recipe: str) -> Step:
    table = relation_name(node)
    columns = _insert_columns(context, node, table)
    keys = _listed_keys(context, node, table, columns)
    verify = _keys_exist(table, *keys) if keys else _rows_are_there(context, node, table, columns)
    if not context.is_existing(table):
        phase, rollback = Phase.EXPAND, Rollback(not_needed=NEW_TABLE)
    elif keys and node.onConflictClause is None:
        key, values = keys
        delete = render("DELETE FROM {t} WHERE {k} IN (", t=ident(table), k=column(key))
        phase, rollback = Phase.MIGRATE, Rollback(sql=[delete + ", ".join(values) + ")"])
    else:
        phase, rollback = Phase.CONTRACT, Rollback(irreversible=NOT_IDENTIFIABLE)
    return context.step(
        "insert",
        phase=phase,
        description=f"INSERT into {table} as written, one transaction; {verify.description}",
        sql=[context.statement.sql],
        verify=verify,
        rollback=rollback,
        lock=LockMode.ROW_EXCLUSIVE,
        lock_duration=LockDuration.NONE,
        tables=list(context.report.tables),
        recipe=recipe,
    )


def _insert_columns(context: PlanningContext, node: ast.InsertStmt, table: str) -> list[str] | None:
    """The columns the INSERT fills, in order: its column list, else as many of the table's columns as its
    rows have values (None: unknown)."""
    if node.cols:
        return [required(target.name, "InsertStmt.cols' ResTarget.name") for target in node.cols]
    info = context.table(table)
    select = node.selectStmt
    if info is None or not isinstance(select, ast.SelectStmt):
        return None
    rows = _values_lists(node)
    width = len(rows[0]) if rows else len(select.targetList or ())
    return list(info.columns)[:width] if width else None


def _values_lists(node: ast.InsertStmt) -> list[tuple[ast.Node, ...]] | None:
    select = node.selectStmt
    if not isinstance(select, ast.SelectStmt) or not select.valuesLists:
        return None
    return [tuple(row) for row in select.valuesLists]


def _listed_keys(
    context: PlanningContext, node: ast.InsertStmt, table: str, columns: list[str] | None
) -> tuple[str, list[str]] | None:
    """(key column, its values as SQL constants) when a VALUES list gives the primary key as constants."""
    rows = _values_lists(node)
    key = primary_key_column(context, table)
    if rows is None or key is None or columns is None or key not in columns or node.withClause:
        return None
    position = columns.index(key)
    values = []
    for row in rows:
        value = row[position] if position < len(row) else None
        if not isinstance(value, ast.A_Const | ast.TypeCast) or (
            isinstance(value, ast.TypeCast) and not isinstance(value.arg, ast.A_Const)
        ):
            return None
        values.append(deparse(value))
    return key, sorted(set(values))


def _keys_exist(table: str, key: str, values: list[str]) -> Verification:
    count = render(
        "SELECT count(DISTINCT {k}) = {n} FROM {t} WHERE {k} IN (",
        k=column(key),
        t=ident(table),
        n=literal(len(values)),
    )
    return Verification(sql=count + ", ".join(values) + ")", description=f"its {len(values)} keys exist")


def _rows_are_there(
    context: PlanningContext, node: ast.InsertStmt, table: str, columns: list[str] | None
) -> Verification:
    """``NOT EXISTS (<the INSERT's rows, cast to the columns' types> EXCEPT <the table's rows>)`` when
    re-running the VALUES or SELECT gives the same rows again; else only that the statement succeeded."""
    why = _not_repeatable(context, node, table, columns)
    if why is None and columns is not None:
        query = _except_query(context, node, table, columns)
        if query is not None:
            return Verification(
                sql=query,
                description="every row it inserts is in the table (its rows re-run EXCEPT the table)",
            )
        why = "zdt cannot print the re-run faithfully"
    return Verification(
        sql=checks.relation_exists(table),
        description=f"only its success is verified ({why or 'its columns are unknown'})",
    )


def _not_repeatable(
    context: PlanningContext, node: ast.InsertStmt, table: str, columns: list[str] | None
) -> str | None:
    """Why re-running the INSERT's rows would not give them again (None: it would)."""
    select = node.selectStmt
    if columns is None:
        return "the table's columns are unknown"
    if not isinstance(select, ast.SelectStmt):
        return "DEFAULT VALUES"
    if node.onConflictClause is not None:
        return "ON CONFLICT may have skipped or changed rows"
    if node.withClause is not None or select.withClause is not None:
        return "the rows come from a CTE"
    volatility = context.snapshot.function_volatility if context.snapshot else None
    if is_volatile(select, volatility) or _reads_the_clock(select, volatility):
        return "a value is volatile: computed again it differs"
    if select.limitCount is not None or select.limitOffset is not None:
        return "LIMIT / OFFSET may pick other rows when run again"
    if _has(select, ast.SetToDefault):
        return "a value is DEFAULT"
    if _has(select, ast.A_Star):
        return "the SELECT lists *"
    if table in relations_read((select,)):
        return f"the SELECT reads {table}, which the INSERT changed"
    if any(context.state.column_type(table, name) is None for name in columns):
        return "a column's type is unknown"
    return None


# Stable, not volatile, yet different in the verification's transaction than in the INSERT's.
_CLOCK = frozenset({"now", "statement_timestamp", "transaction_timestamp", "current_setting", "txid_current"})


def _reads_the_clock(select: ast.Node, volatility: dict[str, str] | None) -> bool:
    if _has(select, ast.SQLValueFunction):  # CURRENT_TIMESTAMP, CURRENT_USER, ...
        return True
    called = {name.lower() for name in called_functions(select)}
    return bool(called & _CLOCK) or any((volatility or {}).get(name) == "s" for name in called)


def _has(node: ast.Node, kind: type[ast.Node]) -> bool:
    class _Finder(Visitor):
        found = False

        def visit(self, ancestors: object, visited: ast.Node) -> None:
            if isinstance(visited, kind):
                self.found = True

    finder = _Finder()
    finder(node)
    return finder.found


def _except_query(
    context: PlanningContext, node: ast.InsertStmt, table: str, columns: list[str]
) -> str | None:
    select = required(node.selectStmt, "InsertStmt.selectStmt")
    alias = "zdt_inserted"
    casts = []
    for name in columns:
        type_text = required(context.state.column_type(table, name), "the column's type")
        try:
            type_name = type_name_of(type_text)
        except (CatalogueTextError, parser.ParseError):
            return None
        casts.append(
            ast.ResTarget(
                val=ast.TypeCast(
                    arg=ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval=name))),
                    typeName=type_name,
                )
            )
        )
    inserted = ast.SelectStmt(
        targetList=tuple(casts),
        fromClause=(
            ast.RangeSubselect(
                lateral=False,
                subquery=select,
                alias=ast.Alias(aliasname=alias, colnames=tuple(ast.String(sval=name) for name in columns)),
            ),
        ),
        op=SetOperation.SETOP_NONE,
    )
    schema, relname = split_name(table)
    present = ast.SelectStmt(
        targetList=tuple(
            ast.ResTarget(val=ast.ColumnRef(fields=(ast.String(sval=name),))) for name in columns
        ),
        fromClause=(ast.RangeVar(schemaname=schema, relname=relname, inh=True, relpersistence="p"),),
        op=SetOperation.SETOP_NONE,
    )
    missing = ast.SelectStmt(op=SetOperation.SETOP_EXCEPT, all=False, larg=inserted, rarg=present)
    none_missing = ast.BoolExpr(
        boolop=BoolExprType.NOT_EXPR,
        args=(ast.SubLink(subLinkType=SubLinkType.EXISTS_SUBLINK, subselect=missing),),
    )
    return faithful_sql(
        ast.SelectStmt(targetList=(ast.ResTarget(val=none_missing),), op=SetOperation.SETOP_NONE)
    )


def _delete(context: PlanningContext, node: ast.DeleteStmt, recipe: str) -> Step:
    table = relation_name(node)
    line = context.statement.line
    using = tuple(node.usingClause or ())
    if not context.is_existing(table):
        return context.step(
            "delete",
            phase=Phase.EXPAND,
            description=f"DELETE from {table}, created by this plan, as written",
            sql=[context.statement.sql],
            verify=_nothing_left(table, node.whereClause, using),
            rollback=Rollback(not_needed=NEW_TABLE),
            lock=LockMode.ROW_EXCLUSIVE,
            lock_duration=LockDuration.NONE,
            tables=list(context.report.tables),
            recipe=recipe,
        )
    if _is_small(context, table):
        return context.step(
            "delete",
            phase=Phase.CONTRACT,
            description=(
                f"DELETE from {table} (a small table) as written, in one statement under a "
                f"{SMALL_DELETE_TIMEOUT_MS // 1000} s statement_timeout"
            ),
            sql=[context.statement.sql],
            verify=_nothing_left(table, node.whereClause, using),
            rollback=Rollback(irreversible=DELETED),
            lock=LockMode.ROW_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=list(context.report.tables),
            timeouts=context.settings.timeouts(SMALL_DELETE_TIMEOUT_MS),
            recipe=recipe,
        )
    _refuse_unbatchable(node, table, line)
    key = require_batch_key(context, table, f"DELETE from {table}")
    settings = context.settings
    return context.step(
        "delete",
        phase=Phase.CONTRACT,
        description=(
            f"DELETE from {table} in batches of {settings.batch_size} rows by {key}, each in its own short "
            "transaction: row locks are held for one batch only"
        ),
        backfill=Backfill(
            table=table,
            key_column=key,
            delete=True,
            where_sql=deparse(node.whereClause) if node.whereClause is not None else None,
            from_sql=", ".join(deparse(item) for item in using) or None,
            batch_size=settings.batch_size,
            pause_ms=settings.batch_pause_ms,
        ),
        verify=_nothing_left(table, node.whereClause, using),
        rollback=Rollback(irreversible=DELETED),
        lock=LockMode.ROW_EXCLUSIVE,
        lock_duration=LockDuration.BATCHED,
        tables=[table],
        recipe=recipe,
    )


def _is_small(context: PlanningContext, table: str) -> bool:
    info = context.table(table)
    return info is not None and info.rows < SMALL_TABLE_ROWS and info.bytes < SMALL_TABLE_BYTES


def _refuse_unbatchable(node: ast.DeleteStmt, table: str, line: int) -> None:
    reasons = unbatchable_parts(node, "delete from")
    if table in relations_read(node.usingClause):
        reasons.append(
            f"a USING list that reads {table} itself (each batch would see earlier batches' deletes)"
        )
    if reasons:
        raise PlanningError(
            f"line {line}: the DELETE from {table} cannot run as batches: " + "; ".join(reasons)
        )


def _nothing_left(table: str, where: ast.Node | None, using: tuple[ast.Node, ...]) -> Verification:
    """``NOT EXISTS (SELECT 1 FROM t WHERE <where>)``; with USING, rows of t with a match left."""
    one = (ast.ResTarget(val=ast.A_Const(isnull=False, val=ast.Integer(ival=1))),)
    selected = where
    if using:
        selected = ast.SubLink(
            subLinkType=SubLinkType.EXISTS_SUBLINK,
            subselect=ast.SelectStmt(
                targetList=one, fromClause=using, whereClause=where, op=SetOperation.SETOP_NONE
            ),
        )
    schema, relname = split_name(table)
    left = ast.SelectStmt(
        targetList=one,
        fromClause=(ast.RangeVar(schemaname=schema, relname=relname, inh=True, relpersistence="p"),),
        whereClause=selected,
        op=SetOperation.SETOP_NONE,
    )
    none_left = ast.BoolExpr(
        boolop=BoolExprType.NOT_EXPR,
        args=(ast.SubLink(subLinkType=SubLinkType.EXISTS_SUBLINK, subselect=left),),
    )
    query = faithful_sql(
        ast.SelectStmt(targetList=(ast.ResTarget(val=none_left),), op=SetOperation.SETOP_NONE)
    )
    if query is None:
        return Verification(
            sql=checks.relation_exists(table), description="only its success is verified (not printable)"
        )
    return Verification(sql=query, description=f"no row of {table} that the DELETE selects is left")
