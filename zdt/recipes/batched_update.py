"""UPDATE of a live table -> a batched backfill by primary key in the migrate phase.

One UPDATE holds the row lock of every row it touches until it commits: concurrent writers of those rows
wait for the whole statement (19.4 s of blocked traffic for 5M rows, measured here), and the dead row
versions pile up faster than vacuum clears them. The backfill runs the same SET in key ranges, each its
own short transaction (short batches aimed at 50 ms: the longest lock wait 34-43 ms, measured here).

migrate:  Backfill(set = the statement's SET list, where = its WHERE) by the table's single-column primary
          key. When every assigned value is a function of other columns only (a constant, or e.g.
          lower(title)) and not volatile, ``col IS DISTINCT FROM CAST(value AS <col type>)`` is added to
          the WHERE: re-runs and retries skip rows already done, and the same condition verifies the end
          state. Otherwise (random(), score + 1) the SET is not idempotent: the executor's keyset
          progress alone keeps a row from being updated twice, and verification can only check that the
          columns are there.
          ``UPDATE t SET ... FROM <list> WHERE <join>``: the batches keep the FROM list (deparsed from the
          parse tree) and walk t's key, so each row of t is in one batch and, matched by several rows of
          the list, is updated once with one of them, as the plain statement does. "Still to do" is then
          ``NOT EXISTS (SELECT 1 FROM <list> WHERE <join> AND NOT <pending>)``: a row already equal to
          one of its matches is skipped, and the same test verifies the end state.
rollback: not needed when every updated column was added by the same plan (undoing the ADD COLUMN takes
          the values with it). Otherwise an UPDATE overwrites the only copy of the old values, so the
          plan keeps one (``_kept_values``): expand creates ``zdt.old_<table>_<hash>`` (key + assigned
          columns), each batch copies the rows it changes there first, in its own transaction, rollback
          writes them back by key, and contract drops the copy, which makes the UPDATE final. Only
          when a column's type is unknown does the UPDATE stay irreversible (and the gate refuses it).

A table alias is spelled out as the table's name (``_unalias``: the batches name the table itself).
Refused, with the reason: RETURNING / WITH / WHERE CURRENT OF / ONLY, an alias whose name is used again
inside the statement, a FROM list that reads the updated table itself (each batch would see what
earlier batches wrote), multi-column or subscripted assignments, assignments to the key itself, and
tables without a single-column primary key.
"""

from __future__ import annotations

from pglast import ast, parser
from pglast.enums import A_Expr_Kind, BoolExprType, SubLinkType

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.parse_tree import (
    CatalogueTextError,
    column_refs,
    has_subquery,
    referenced_columns,
    type_name_of,
)
from zdt.analysis.volatility import is_volatile
from zdt.plan.model import Backfill, LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes._batch_key import require_batch_key
from zdt.recipes._kept_values import create_step, drop_step, keep_old_values, restore_rollback
from zdt.recipes._relations import relations_read, unbatchable_parts
from zdt.recipes._reprint import faithful_sql
from zdt.recipes._unalias import unaliased
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    deparse,
    literal,
    relation_name,
    render,
    split_name,
)
from zdt.recipes.errors import PlanningError

DATA_CHANGE = "data change; keep a copy column if you need to undo"


class BatchedUpdate(Recipe):
    id = "batched-update"
    summary = "Run an UPDATE of a live table as a keyset backfill: one short transaction per batch."
    examples = (
        RecipeExample(
            title="filling a column that the same plan adds",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="""
                ALTER TABLE posts ADD COLUMN slug text;
                UPDATE posts SET slug = lower(replace(title, ' ', '-'));
            """,
            plan="""
                expand   s01-alter-table
                    ALTER TABLE posts ADD COLUMN slug text
                migrate  s02-batched-update
                    in batches by id: UPDATE public.posts SET "slug" = lower(replace(title, ' ', '-'))
                        WHERE slug IS DISTINCT FROM CAST(lower(replace(title, ' ', '-')) AS text)
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
                "UPDATE posts SET title = 'edited by the old release' WHERE id = 2",
            ),
            new_queries=(
                "SELECT id, title FROM posts WHERE slug = 'post-1'",
                "INSERT INTO posts (id, title, slug) VALUES (12001, 'New post', 'new-post')",
            ),
        ),
        RecipeExample(
            title="updating an existing column: each batch keeps the old values, so rollback restores them",
            schema="""
                CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
                INSERT INTO accounts SELECT g, 'User' || g || '@Example.org' FROM generate_series(1, 12000) g;
                ANALYZE accounts;
            """,
            sql="""
                UPDATE accounts SET email = lower(email);
            """,
            plan="""
                expand   s01-keep-old-values
                    CREATE TABLE "zdt"."old_accounts_80a363c7" ("id" bigint PRIMARY KEY, "email" text)
                migrate  s01-batched-update
                    each batch first keeps the old values: INSERT INTO zdt.old_accounts_80a363c7 ("id",
                        "email") SELECT public.accounts."id", public.accounts."email" FROM
                        public.accounts ON CONFLICT DO NOTHING
                    in batches by id: UPDATE public.accounts SET "email" = lower(email)
                contract s01-drop-old-values (irreversible)
                    DROP TABLE "zdt"."old_accounts_80a363c7"
            """,
            old_queries=(
                "SELECT id, email FROM accounts WHERE id = 1",
                "INSERT INTO accounts (id, email) VALUES (12001, 'old@example.org')",
                "UPDATE accounts SET email = 'Edited@Example.org' WHERE id = 2",
            ),
            new_queries=(
                "SELECT id FROM accounts WHERE email = 'user1@example.org'",
                "INSERT INTO accounts (id, email) VALUES (12001, 'new@example.org')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return isinstance(node, ast.UpdateStmt) and context.is_existing(relation_name(node))

    def steps(self, context: PlanningContext) -> list[Step]:
        line = context.statement.line
        node = unaliased(context.node_as(ast.UpdateStmt), context.statement.sql, line)
        table = relation_name(node)
        _refuse_unbatchable(node, table, line)
        assignments = [
            (target.name, target.val) for target in required(node.targetList, "UpdateStmt.targetList")
        ]
        targets = [name for name, _ in assignments]
        key = require_batch_key(context, table, f"UPDATE of {table}")
        if key in targets:
            raise PlanningError(
                f"line {context.statement.line}: the UPDATE assigns {table}.{key}, the key the batches walk "
                "by: batches would chase moving keys. Change keys by hand"
            )
        relation = required(node.relation, "UpdateStmt.relation")
        from_list = tuple(node.fromClause or ())
        pending = _pending_condition(context, table, assignments, relation if from_list else None)
        if from_list:
            still_to_do = (
                _none_matching(from_list, _and(node.whereClause, _not(pending))) if pending else None
            )
            selected: ast.Node | None = _matching(from_list, node.whereClause)
        else:
            still_to_do, selected = pending, node.whereClause
        where = _and(node.whereClause, still_to_do)
        settings = context.settings
        set_sql = ", ".join(render("{c} = ", c=column(name)) + deparse(value) for name, value in assignments)
        listed = ", ".join(targets)
        joined = " joined to its FROM list" if from_list else ""
        rollback = _rollback(context, table, targets)
        kept = keep_old_values(context, table, key, targets) if rollback.irreversible else None
        update = [
            context.step(
                "batched-update",
                phase=Phase.MIGRATE,
                description=(
                    f"UPDATE {table}{joined} SET {listed} in batches of {settings.batch_size} rows by {key}, "
                    "each in its own short transaction"
                    + (
                        "; rows already up to date are skipped, so re-runs do no work twice"
                        if pending is not None
                        else "; the SET is not idempotent: the executor's keyset progress is what keeps "
                        "a row from being updated twice"
                    )
                ),
                backfill=Backfill(
                    table=table,
                    key_column=key,
                    set_sql=set_sql,
                    where_sql=deparse(where) if where is not None else None,
                    from_sql=", ".join(deparse(item) for item in from_list) or None,
                    batch_size=settings.batch_size,
                    pause_ms=settings.batch_pause_ms,
                    keep_old=kept,
                ),
                verify=_verification(table, selected, still_to_do, targets),
                rollback=rollback if kept is None else restore_rollback(table, key, kept),
                lock=LockMode.ROW_EXCLUSIVE,
                lock_duration=LockDuration.BATCHED,
                tables=[table],
                timeouts=settings.timeouts(),
                recipe=self.id,
            )
        ]
        if kept is None:
            return update
        return [create_step(context, table, key, kept), *update, drop_step(context, table, kept)]


def _refuse_unbatchable(node: ast.UpdateStmt, table: str, line: int) -> None:
    """What a keyset backfill of ``UPDATE <table> SET ... WHERE ...`` cannot express, refused by name."""
    reasons = []
    if table in relations_read(node.fromClause):
        reasons.append(
            f"a FROM list that reads {table} itself (each batch would see the rows earlier batches "
            "changed: put the other rows in a temporary table first)"
        )
    reasons += unbatchable_parts(node, "update")
    for target in required(node.targetList, "UpdateStmt.targetList"):
        if isinstance(target.val, ast.MultiAssignRef):
            reasons.append("(a, b) = (...) assignments (write one assignment per column)")
            break
        if target.indirection:
            reasons.append(f"assignments into part of {target.name} (subscripts or fields)")
            break
    if reasons:
        raise PlanningError(
            f"line {line}: the UPDATE of {table} cannot run as batches: " + "; ".join(reasons)
        )


def _pending_condition(
    context: PlanningContext,
    table: str,
    assignments: list[tuple[str, ast.Node]],
    qualifier: ast.RangeVar | None = None,
) -> ast.Node | None:
    """``a IS DISTINCT FROM CAST(x AS type) OR ...``: rows not yet as the UPDATE leaves them.

    Only when that end state is fixed: every value non-volatile and reading none of the assigned
    columns (``score + 1`` is never "done"). The cast to the column's type makes the comparison see the
    value as stored (1.5 stored in an integer column is 2). None when it cannot be derived. With a FROM
    list, ``qualifier`` is the table as the statement names it: ``posts.a``, never another table's ``a``.
    """
    targets = {name for name, _ in assignments}
    volatility = context.snapshot.function_volatility if context.snapshot else None
    conditions: list[ast.Node] = []
    for name, value in assignments:
        if isinstance(value, ast.SetToDefault) or is_volatile(value, volatility):
            return None
        # A value reading an assigned column (score + 1) or other rows (a subquery) is never "done".
        read = _columns_of_the_table(value, qualifier)
        if targets & read or "*" in read or has_subquery(value):
            return None
        type_name = _type_name(context.state.column_type(table, name))
        if type_name is None:
            return None
        conditions.append(
            ast.A_Expr(
                kind=A_Expr_Kind.AEXPR_DISTINCT,
                name=(ast.String(sval="="),),
                lexpr=ast.ColumnRef(fields=_qualified(qualifier, name)),
                rexpr=ast.TypeCast(arg=value, typeName=type_name),
            )
        )
    if len(conditions) == 1:
        return conditions[0]
    return ast.BoolExpr(boolop=BoolExprType.OR_EXPR, args=tuple(conditions))


def _columns_of_the_table(value: ast.Node, relation: ast.RangeVar | None) -> set[str]:
    """The columns of the updated table that ``value`` reads. Beside a FROM list, ``n.nick`` is another
    table's column; a bare ``nick`` may be the table's (the plain statement would know), so it counts.
    ``*`` in the result: the value reads the table's whole row."""
    if relation is None:
        return set(referenced_columns(value))
    read: set[str] = set()
    for reference in column_refs(value):
        fields = reference.fields or ()
        parts = [str(field.sval) for field in fields if isinstance(field, ast.String)]
        if len(parts) < len(fields):  # a star: n.* reads none of the table's columns, posts.* all of them
            if not parts or parts[-1] == relation.relname:
                read.add("*")
        elif len(parts) == 1 or parts[-2] == relation.relname:
            read.add(parts[-1])
    return read


def _qualified(relation: ast.RangeVar | None, name: str) -> tuple[ast.String, ...]:
    """The fields of a reference to column ``name`` of ``relation`` (bare without a relation)."""
    if relation is None:
        return (ast.String(sval=name),)
    spelled = [relation.schemaname] if relation.schemaname else []
    return tuple(
        ast.String(sval=part) for part in [*spelled, required(relation.relname, "RangeVar.relname"), name]
    )


def _select_one(from_list: tuple[ast.Node, ...], where: ast.Node | None) -> ast.SelectStmt:
    return ast.SelectStmt(
        targetList=(ast.ResTarget(val=ast.A_Const(isnull=False, val=ast.Integer(ival=1))),),
        fromClause=from_list,
        whereClause=where,
    )


def _exists(select: ast.SelectStmt) -> ast.SubLink:
    return ast.SubLink(subLinkType=SubLinkType.EXISTS_SUBLINK, subselect=select)


def _not(condition: ast.Node | None) -> ast.Node | None:
    return None if condition is None else ast.BoolExpr(boolop=BoolExprType.NOT_EXPR, args=(condition,))


def _matching(from_list: tuple[ast.Node, ...], where: ast.Node | None) -> ast.Node:
    """``EXISTS (SELECT 1 FROM <list> WHERE <where>)``: the row of the table has a match. Inside the
    subquery the list's names shadow the outer statement's, and the table's columns are the outer row's:
    the plain UPDATE ... FROM accepted no name that both could mean."""
    return _exists(_select_one(from_list, where))


def _none_matching(from_list: tuple[ast.Node, ...], where: ast.Node | None) -> ast.Node:
    """``NOT EXISTS (SELECT 1 FROM <list> WHERE <where>)``."""
    return ast.BoolExpr(boolop=BoolExprType.NOT_EXPR, args=(_matching(from_list, where),))


def _type_name(formatted: str | None) -> ast.TypeName | None:
    """The column's type (format_type() spelling from the catalog) as a parse-tree TypeName."""
    if formatted is None:
        return None
    try:
        return type_name_of(formatted)
    except (CatalogueTextError, parser.ParseError):
        return None


def _and(left: ast.Node | None, right: ast.Node | None) -> ast.Node | None:
    if left is None or right is None:
        return left if right is None else right
    return ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=(left, right))


def _verification(
    table: str, selected: ast.Node | None, still_to_do: ast.Node | None, targets: list[str]
) -> Verification:
    """No row the UPDATE selects (``selected``: its WHERE, or that the row has a match in the FROM list)
    is still to do; only that the columns exist when "still to do" cannot be said."""
    if still_to_do is not None:
        schema, relname = split_name(table)
        left_over = _select_one(
            (ast.RangeVar(schemaname=schema, relname=relname, inh=True, relpersistence="p"),),
            _and(selected, still_to_do),
        )
        none_left = ast.BoolExpr(boolop=BoolExprType.NOT_EXPR, args=(_exists(left_over),))
        query = faithful_sql(ast.SelectStmt(targetList=(ast.ResTarget(val=none_left),)))
        if query is not None:
            return Verification(
                sql=query,
                description=f"no row of {table} that the UPDATE selects is left with other values",
            )
    return Verification(
        sql=render(
            "SELECT count(*) = {n} FROM pg_attribute WHERE attrelid = to_regclass({t}) "
            "AND attname = ANY ({names}) AND attnum > 0 AND NOT attisdropped",
            n=literal(len(set(targets))),
            t=literal(table),
            names=literal(sorted(set(targets))),
        ),
        description=(
            f"the updated columns of {table} exist (a non-idempotent SET leaves nothing else to check: the "
            "backfill's progress record shows every key range done)"
        ),
    )


def _rollback(context: PlanningContext, table: str, targets: list[str]) -> Rollback:
    """not_needed when the plan itself added every updated column; the UPDATE is otherwise the end of
    the old values, and the plan says so instead of pretending."""
    info = context.snapshot.table(table) if context.snapshot else None
    added = [
        name
        for name in targets
        if info is not None
        and name not in info.columns
        and context.state.column_type(table, name) is not None
    ]
    if added and len(added) == len(targets):
        return Rollback(
            not_needed=(
                f"{', '.join(added)} added to {table} by this plan: undoing that ADD COLUMN removes the "
                "values written here"
            )
        )
    return Rollback(irreversible=DATA_CHANGE)
